"""The ``zhili`` console script: Django's management commands for this project.

``runserver``, ``migrate`` and ``run_huey`` of a production installation refuse to start without the
keys and hosts it needs (``zhili.core.startup``), with one line per problem and exit status 2.
"""

import os
import sys

# command → what it needs besides the keys: (serves pages, needs the database, needs the queue)
_GUARDED_COMMANDS = {
    "runserver": (True, False, False),
    "migrate": (False, True, False),
    "run_huey": (False, True, True),
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhili.config.settings")
    arguments = sys.argv[1:]
    guarded = _GUARDED_COMMANDS.get(arguments[0]) if arguments else None
    if guarded is not None and not {"-h", "--help"} & set(arguments):
        # deferred: runs before (or while) Django is set up; importing at module level would need settings
        import django
        from django.core.exceptions import ImproperlyConfigured

        django.setup()
        # deferred: runs before (or while) Django is set up; importing at module level would need settings
        from zhili.core.startup import refuse_to_start

        serves_pages, needs_database, needs_queue = guarded
        try:
            refuse_to_start(process=arguments[0], serves_pages=serves_pages, needs_database=needs_database,
                            needs_queue=needs_queue)
        except ImproperlyConfigured as error:
            sys.stderr.write(f"{error}\n")
            raise SystemExit(2) from None
    # deferred: runs before (or while) Django is set up; importing at module level would need settings
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhili", *arguments])


if __name__ == "__main__":
    main()
