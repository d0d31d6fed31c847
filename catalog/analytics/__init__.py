"""Click analytics: the roll-ups (`rollup`) and the admin dashboard over them (`dashboard`)."""
