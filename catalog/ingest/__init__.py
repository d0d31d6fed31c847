"""Import and export: the admin's resources (`resources`), the upload form (`forms`), and
the feed importer for files too large for the admin (`feeds`), with the rules they share
for reading files (`files`), cells (`cells`) and images (`images`). Uploads of any
length run as background jobs (`jobs`)."""
