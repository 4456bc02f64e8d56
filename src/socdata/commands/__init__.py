"""One module per ``socdata`` sub-command.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported only when their command runs, so ``socdata --help`` stays fast and a
broken optional dependency of one command cannot break another.
"""

#: sub-command name -> module (relative to ``socdata.commands``)
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "reproduce": "reproduce",
    "audit": "audit",
    "synthesize": "synthesize",
    "templates": "templates",
}
