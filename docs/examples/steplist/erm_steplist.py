"""A loader for `.steps` files: one step name per line, each step followed by the next."""

from __future__ import annotations

from pathlib import Path

from erm_graph.ingest import LoadContext, LoaderResult, LoadOptions
from erm_graph.ingest.flowchart import FlowchartBuilder


class StepList:
    format = "steplist"
    extensions = (".steps",)
    description = "one step name per line"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        return path.is_file() and path.suffix.lower() == ".steps"

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        build = FlowchartBuilder(result)
        build.process("list", source.stem, "list")
        names = [line.strip() for line in ctx.text(source).splitlines()]
        steps = [(number, name) for number, name in enumerate(names, start=1) if name]
        for number, name in steps:
            build.step("list", f"s{number}", name, "task", f"line {number}")
        for (before, _), (number, _) in zip(steps, steps[1:], strict=False):
            build.flow("list", f"s{before}", f"s{number}", f"line {number}")
        if not steps:
            result.note("no step names: nothing loaded")
        return result


LOADER = StepList()
