"""The instruction paradigm's rule check: every instruction's checker on every response,
in the request's mode (IFEval's strict or loose). The verdicts of all of them, followed or
not, are kept in the check's details (and so on the record's validation), per turn."""

from __future__ import annotations

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.instructions import Instruction, verify
from longweave.paradigms.instruction.params import InstructionParams


@register_check("instructions_followed", paradigms=("instruction",))
def instructions_followed(draft: CheckInput[InstructionParams]) -> CheckResult:
    name = "instructions_followed"
    mode = draft.params.mode
    instructions = [Instruction(i["name"], i["params"]) for i in draft.content["instructions"]]
    messages = draft.content["messages"]
    details, broken, first_broken_unit = [], [], None
    for unit, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        turn = unit // 2 + 1
        for verdict in (verify(i, message["content"]) for i in instructions):
            details.append({"turn": turn, "name": verdict.name, "strict": verdict.strict,
                            "loose": verdict.loose, "followed": verdict.passed(mode),
                            "reason": verdict.reason})
            if not verdict.passed(mode):
                where = f" (reply {turn})" if len(messages) > 2 else ""
                broken.append(f"{verdict.name}{where}: {verdict.reason}")
                first_broken_unit = unit if first_broken_unit is None else first_broken_unit
    if first_broken_unit is not None:
        # The turns after a redone response answered the old one: they are redone too.
        return failed(name, "; ".join(broken), list(range(first_broken_unit, len(messages))),
                      mode=mode, verdicts=details)
    return passed(name, mode=mode, verdicts=details)
