"""Read: policy, rule, knowledge and configuration files into documents that know where every value was written."""
