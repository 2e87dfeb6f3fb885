# Generated from reports/text.txt.j2 by Jinja 3.1.6 (render.precompiled_source): do not edit.
# flake8: noqa
# type: ignore
SOURCE_SHA256 = 'b2152107dd23fac905bbfb5d7d901590e21ee4a4bf72a680b9e241072250b1a1'
JINJA_VERSION = '3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'text.txt.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_groups = resolve('groups')
    l_0_summary = resolve('summary')
    l_0_causes = resolve('causes')
    l_0_findings = resolve('findings')
    l_0_files = resolve('files')
    l_0_waived = resolve('waived')
    l_0_found = resolve('found')
    l_0_width = resolve('width')
    l_0_quiet = resolve('quiet')
    l_0_explain = resolve('explain')
    l_0_report_command = resolve('report_command')
    l_0_statistics = resolve('statistics')
    l_0_entry = l_0_total = missing
    try:
        t_1 = environment.filters['fold']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'fold' found.")
    try:
        t_2 = environment.filters['format']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'format' found.")
    try:
        t_3 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_4 = environment.filters['paint']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'paint' found.")
    try:
        t_5 = environment.filters['paragraph']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'paragraph' found.")
    try:
        t_6 = environment.filters['plural']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No filter named 'plural' found.")
    try:
        t_7 = environment.filters['string']
    except KeyError:
        @internalcode
        def t_7(*unused):
            raise TemplateRuntimeError("No filter named 'string' found.")
    pass
    def macro(l_1_f, l_1_message, l_1_where, l_1_indent):
        t_8 = []
        l_1_color = resolve('color')
        l_1_sev = l_1_lead = l_1_lines = missing
        if l_1_f is missing:
            l_1_f = undefined("parameter 'f' was not provided", name='f')
        if l_1_message is missing:
            l_1_message = undefined("parameter 'message' was not provided", name='message')
        if l_1_where is missing:
            l_1_where = undefined("parameter 'where' was not provided", name='where')
        if l_1_indent is missing:
            l_1_indent = undefined("parameter 'indent' was not provided", name='indent')
        pass
        l_1_sev = ('waived' if environment.getattr(l_1_f, 'waiver') else environment.getattr(l_1_f, 'severity'))
        l_1_lead = (str_join((l_1_where, ': ', )) if l_1_where else (' ' * (l_1_indent - 4)))
        l_1_lines = t_1(l_1_message, (undefined(name='width') if l_0_width is missing else l_0_width), t_3(str_join(((undefined(name='lead') if l_1_lead is missing else l_1_lead), (undefined(name='sev') if l_1_sev is missing else l_1_sev), ' ', environment.getattr(l_1_f, 'rule'), ' ', ))), l_1_indent)
        t_8.extend((
            str((str_join((t_4(str_join((l_1_where, ':', )), 'file', (undefined(name='color') if l_1_color is missing else l_1_color)), ' ', )) if l_1_where else (undefined(name='lead') if l_1_lead is missing else l_1_lead))),
            str(t_4((undefined(name='sev') if l_1_sev is missing else l_1_sev), (undefined(name='sev') if l_1_sev is missing else l_1_sev), (undefined(name='color') if l_1_color is missing else l_1_color))),
            ' ',
            str(t_4(environment.getattr(l_1_f, 'rule'), 'bold', (undefined(name='color') if l_1_color is missing else l_1_color))),
            str((str_join((' ', environment.getitem((undefined(name='lines') if l_1_lines is missing else l_1_lines), 0), )) if environment.getitem((undefined(name='lines') if l_1_lines is missing else l_1_lines), 0) else cond_expr_undefined("the inline if-expression on line 11 in 'text.txt.j2' evaluated to false and no else section was defined."))),
            '\n',
        ))
        for l_2_line in (undefined(name='lines') if l_1_lines is missing else l_1_lines)[1:]:
            _loop_vars = {}
            pass
            t_8.extend((
                str(l_2_line),
                '\n',
            ))
        l_2_line = missing
        for l_2_loc in environment.getattr(l_1_f, 'locations')[1:]:
            _loop_vars = {}
            pass
            for l_3_line in t_5(str_join(('also at ', l_2_loc, )), (undefined(name='width') if l_0_width is missing else l_0_width), l_1_indent):
                _loop_vars = {}
                pass
                t_8.extend((
                    str(t_4(l_3_line, 'dim', (undefined(name='color') if l_1_color is missing else l_1_color))),
                    '\n',
                ))
            l_3_line = missing
        l_2_loc = missing
        if environment.getattr(l_1_f, 'waiver'):
            pass
            for l_2_line in t_5(t_2('waived by %s until %s: %s', environment.getattr(environment.getattr(l_1_f, 'waiver'), 'owner'), environment.getattr(environment.getattr(l_1_f, 'waiver'), 'expires'), environment.getattr(environment.getattr(l_1_f, 'waiver'), 'justification')), (undefined(name='width') if l_0_width is missing else l_0_width), l_1_indent):
                _loop_vars = {}
                pass
                t_8.extend((
                    str(t_4(l_2_line, 'dim', (undefined(name='color') if l_1_color is missing else l_1_color))),
                    '\n',
                ))
            l_2_line = missing
        return concat(t_8)
    context.exported_vars.add('entry')
    context.vars['entry'] = l_0_entry = Macro(environment, macro, 'entry', ('f', 'message', 'where', 'indent'), False, False, False, context.eval_ctx.autoescape)
    for (l_1_file, l_1_group) in (undefined(name='groups') if l_0_groups is missing else l_0_groups):
        _loop_vars = {}
        pass
        for l_2_cause in l_1_group:
            l_2_lines = resolve('lines')
            l_2_color = resolve('color')
            l_2_f = l_2_where = missing
            _loop_vars = {}
            pass
            l_2_f = environment.getattr(l_2_cause, 'first')
            _loop_vars['f'] = l_2_f
            l_2_where = (t_7(environment.getattr((undefined(name='f') if l_2_f is missing else l_2_f), 'primary')) if environment.getattr((undefined(name='f') if l_2_f is missing else l_2_f), 'primary') else '(organization)')
            _loop_vars['where'] = l_2_where
            if (t_3(environment.getattr(l_2_cause, 'consequences')) == 1):
                pass
                yield str(context.call((undefined(name='entry') if l_0_entry is missing else l_0_entry), (undefined(name='f') if l_2_f is missing else l_2_f), environment.getattr((undefined(name='f') if l_2_f is missing else l_2_f), 'message'), (undefined(name='where') if l_2_where is missing else l_2_where), 4, _loop_vars=_loop_vars))
            else:
                pass
                l_2_lines = t_1(t_2('%s from one cause%s', environment.getattr(l_2_cause, 'tally'), (str_join((': ', environment.getattr(l_2_cause, 'head'), )) if environment.getattr(l_2_cause, 'head') else '')), (undefined(name='width') if l_0_width is missing else l_0_width), t_3(str_join(((undefined(name='where') if l_2_where is missing else l_2_where), ': ', ))), 4)
                _loop_vars['lines'] = l_2_lines
                yield str(t_4(str_join(((undefined(name='where') if l_2_where is missing else l_2_where), ':', )), 'file', (undefined(name='color') if l_2_color is missing else l_2_color)))
                yield str((str_join((' ', t_4(environment.getitem((undefined(name='lines') if l_2_lines is missing else l_2_lines), 0), 'bold', (undefined(name='color') if l_2_color is missing else l_2_color)), )) if environment.getitem((undefined(name='lines') if l_2_lines is missing else l_2_lines), 0) else cond_expr_undefined("the inline if-expression on line 33 in 'text.txt.j2' evaluated to false and no else section was defined.")))
                yield '\n'
                for l_3_line in (undefined(name='lines') if l_2_lines is missing else l_2_lines)[1:]:
                    _loop_vars = {}
                    pass
                    yield str(t_4(l_3_line, 'bold', (undefined(name='color') if l_2_color is missing else l_2_color)))
                    yield '\n'
                l_3_line = missing
                for l_3_c in environment.getattr(l_2_cause, 'consequences'):
                    _loop_vars = {}
                    pass
                    yield str(context.call((undefined(name='entry') if l_0_entry is missing else l_0_entry), environment.getattr(l_3_c, 'finding'), environment.getattr(l_3_c, 'message'), '', 6, _loop_vars=_loop_vars))
                l_3_c = missing
        l_2_cause = l_2_f = l_2_where = l_2_lines = l_2_color = missing
        yield '\n'
    l_1_file = l_1_group = missing
    l_0_total = ((environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'error') + environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'warning')) + environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'info'))
    context.vars['total'] = l_0_total
    context.exported_vars.add('total')
    if (undefined(name='total') if l_0_total is missing else l_0_total):
        pass
        l_0_found = t_2('Found %s%s (%s, %s, %d info) in %s%s.', t_6((undefined(name='total') if l_0_total is missing else l_0_total), 'finding'), (t_2(' from %s', t_6((undefined(name='causes') if l_0_causes is missing else l_0_causes), 'cause')) if ((undefined(name='causes') if l_0_causes is missing else l_0_causes) != t_3((undefined(name='findings') if l_0_findings is missing else l_0_findings))) else ''), t_6(environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'error'), 'error'), t_6(environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'warning'), 'warning'), environment.getattr((undefined(name='summary') if l_0_summary is missing else l_0_summary), 'info'), t_6((undefined(name='files') if l_0_files is missing else l_0_files), 'file'), (t_2('; %d waived', (undefined(name='waived') if l_0_waived is missing else l_0_waived)) if (undefined(name='waived') if l_0_waived is missing else l_0_waived) else ''))
        context.vars['found'] = l_0_found
        context.exported_vars.add('found')
        for l_1_line in t_5((undefined(name='found') if l_0_found is missing else l_0_found), (undefined(name='width') if l_0_width is missing else l_0_width)):
            l_1_color = resolve('color')
            _loop_vars = {}
            pass
            yield str(t_4(l_1_line, 'bold', (undefined(name='color') if l_1_color is missing else l_1_color)))
            yield '\n'
        l_1_line = l_1_color = missing
        if (not (undefined(name='quiet') if l_0_quiet is missing else l_0_quiet)):
            pass
            for l_1_line in t_5(t_2('Next: `interlock explain %s` says why it matters and how to fix it; `%s` writes the conflict report for leadership.', (undefined(name='explain') if l_0_explain is missing else l_0_explain), (undefined(name='report_command') if l_0_report_command is missing else l_0_report_command)), (undefined(name='width') if l_0_width is missing else l_0_width)):
                _loop_vars = {}
                pass
                yield str(l_1_line)
                yield '\n'
            l_1_line = missing
    elif (not (undefined(name='quiet') if l_0_quiet is missing else l_0_quiet)):
        pass
        yield str(t_2('No findings in %s%s.', t_6((undefined(name='files') if l_0_files is missing else l_0_files), 'file'), (t_2('; %d waived', (undefined(name='waived') if l_0_waived is missing else l_0_waived)) if (undefined(name='waived') if l_0_waived is missing else l_0_waived) else '')))
        yield '\n'
    if (undefined(name='statistics') if l_0_statistics is missing else l_0_statistics):
        pass
        yield '\nFindings per rule:\n'
        for l_1_row in (undefined(name='statistics') if l_0_statistics is missing else l_0_statistics):
            l_1_cells = l_1_lines = missing
            _loop_vars = {}
            pass
            l_1_cells = t_2('%5d  %-5s %-8s ', environment.getattr(l_1_row, 'count'), environment.getattr(l_1_row, 'rule'), environment.getattr(l_1_row, 'severity'))
            _loop_vars['cells'] = l_1_cells
            l_1_lines = t_1(environment.getattr(l_1_row, 'name'), (undefined(name='width') if l_0_width is missing else l_0_width), t_3((undefined(name='cells') if l_1_cells is missing else l_1_cells)), t_3((undefined(name='cells') if l_1_cells is missing else l_1_cells)))
            _loop_vars['lines'] = l_1_lines
            yield str((undefined(name='cells') if l_1_cells is missing else l_1_cells))
            yield str(environment.getitem((undefined(name='lines') if l_1_lines is missing else l_1_lines), 0))
            yield '\n'
            for l_2_line in (undefined(name='lines') if l_1_lines is missing else l_1_lines)[1:]:
                _loop_vars = {}
                pass
                yield str(l_2_line)
                yield '\n'
            l_2_line = missing
        l_1_row = l_1_cells = l_1_lines = missing

blocks = {}
debug_info = '7=66&8=79&9=80&10=81&11=83&12=90&13=94&15=98&16=101&17=105&20=110&21=112&22=116&26=123&27=126&28=132&29=134&30=136&31=138&32=141&33=143&34=146&35=149&37=152&38=155&43=160&44=163&45=165&46=168&47=172&49=175&50=177&51=180&54=183&55=185&57=187&60=190&61=194&62=196&63=198&64=201&65=204'