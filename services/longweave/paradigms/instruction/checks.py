"""The instruction paradigm's rule check: every instruction's checker on the response, in
the request's mode (IFEval's strict or loose). The verdicts of all of them, followed or
not, are kept in the check's details (and so on the record's validation)."""

from __future__ import annotations

from longweave.checks import CheckInput, failed, passed, register_check
from longweave.contracts import CheckResult
from longweave.instructions import Instruction, verify
from longweave.paradigms.instruction.params import InstructionParams

RESPONSE_UNIT = 1


@register_check("instructions_followed", paradigms=("instruction",))
def instructions_followed(draft: CheckInput[InstructionParams]) -> CheckResult:
    name = "instructions_followed"
    mode = draft.params.mode
    verdicts = [verify(Instruction(i["name"], i["params"]), draft.content["response"])
                for i in draft.content["instructions"]]
    details = [{"name": v.name, "strict": v.strict, "loose": v.loose,
                "followed": v.passed(mode), "reason": v.reason} for v in verdicts]
    broken = [v for v in verdicts if not v.passed(mode)]
    if broken:
        return failed(name, "; ".join(f"{v.name}: {v.reason}" for v in broken),
                      [RESPONSE_UNIT], mode=mode, verdicts=details)
    return passed(name, mode=mode, verdicts=details)
