"""Knowledge: the organization model turned into facts the rules reason over, quantitative facts included."""
