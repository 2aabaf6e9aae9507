"""Data for the built-in "Trainer Essentials" program: ``program.json`` and one Markdown file
per lesson. This is a package only so that the files ship with an installed Cascade."""
