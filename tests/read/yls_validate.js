// Validate YAML files against a JSON Schema with the real yaml-language-server (its language service,
// the code an editor runs), reading YAML 1.2 as it does by default. Used by tests/read/test_editor.py.
//
//   node yls_validate.js SCHEMA.json FILE.yml...   ->  one JSON line per file: {"file", "diagnostics": [...]}
//
// NODE_PATH names the node_modules holding yaml-language-server and vscode-languageserver-textdocument.
"use strict";
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");
const { getLanguageService } = require("yaml-language-server");
const { TextDocument } = require("vscode-languageserver-textdocument");

async function main() {
  const [schemaPath, ...files] = process.argv.slice(2);
  const schemaUri = pathToFileURL(path.resolve(schemaPath)).toString();
  const service = getLanguageService({
    schemaRequestService: async (uri) => {
      // A file's own `# yaml-language-server: $schema=...` modeline names a local file: serve it.
      if (uri.startsWith("file:")) return fs.readFileSync(new URL(uri), "utf8");
      throw new Error(`no network in tests: ${uri}`);
    },
    workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).toString() },
  });
  service.configure({
    validate: true,
    yamlVersion: process.env.YAML_VERSION || "1.2",
    schemas: [{ uri: schemaUri, fileMatch: ["*.yml", "*.yaml"] }],
    customTags: [],
    completion: false,
    hover: false,
  });
  for (const file of files) {
    const uri = pathToFileURL(path.resolve(file)).toString();
    const document = TextDocument.create(uri, "yaml", 1, fs.readFileSync(file, "utf8"));
    const diagnostics = await service.doValidation(document, false);
    process.stdout.write(JSON.stringify({
      file,
      diagnostics: diagnostics.map((d) => ({
        line: d.range.start.line + 1, column: d.range.start.character + 1, severity: d.severity, message: d.message,
      })),
    }) + "\n");
  }
}

main().catch((error) => { process.stderr.write(String(error && error.stack || error) + "\n"); process.exit(2); });
