"""oc-wire command line: the only module of oc_wire that reads argv, uses click or exits."""
import sys

import click

from .dump import dump_events, render


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def command():
    """Inspect rsync's wire formats."""


@command.command()
@click.argument("file", default="-", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
@click.option("--kind", type=click.Choice(["auto", "batch", "sig"]), default="auto",
              help="batch (also oc-delta output) or sig (oc-sig output); auto guesses")
def dump(file, as_json, kind):
    """Decode a batch file, an oc-delta stream or an oc-sig stream (FILE or -)."""
    failed = False
    out = click.get_text_stream("stdout")
    for rec in dump_events(file.read(), kind):
        failed = failed or rec["event"] == "error"
        out.write(render(rec, as_json) + "\n")
    if failed:
        sys.exit(2)


def main() -> None:
    command(prog_name="oc-wire")
