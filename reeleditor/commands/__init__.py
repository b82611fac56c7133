"""Command-line commands: each module registers its subcommands on the parser."""
