"""Run agent operations in process, as the sandboxed agent would, and print what happened as JSON.

``python -m tests.deploy.agent_in_sandbox SPEC_JSON``; SPEC has "families" (RestrictAddressFamilies
names), "mdwe" (MemoryDenyWriteExecute), "calls" ([operation, payload] pairs) and "probes"
(paths to try creating); it prints each call's answer, or the error it raised. Both process
limits are set before anything else is imported, so the agent's modules, and svc and tcprules
that it runs, live under them. The agent's configuration
comes from the environment (NODEWORX_SERVER_ROOT and the rest), as in the unit.
"""

from __future__ import annotations

import ctypes
import errno
import json
import socket
import struct
import sys
from typing import Any

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, _PR_SET_MDWE, _MDWE_REFUSE_EXEC_GAIN = 22, 2, 65, 1
_AUDIT_ARCH_X86_64, _NR_SOCKET = 0xC000003E, 41
_LD_ABS, _JEQ, _RET = 0x20, 0x15, 0x06  # BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000


def _prctl(*args: int | ctypes.c_void_p) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(*args) != 0:
        raise OSError(ctypes.get_errno(), f"prctl{args[:2]} failed")


def restrict_address_families(names: list[str]) -> None:
    """What RestrictAddressFamilies= installs: socket() of any other family fails with EAFNOSUPPORT."""
    families = [getattr(socket, name) for name in names]
    n = len(families)
    allow = 6 + n  # index of the final "allow"
    program = [
        (_LD_ABS, 0, 0, 4),  # seccomp_data.arch
        (_JEQ, 0, allow - 2, _AUDIT_ARCH_X86_64),
        (_LD_ABS, 0, 0, 0),  # seccomp_data.nr
        (_JEQ, 0, allow - 4, _NR_SOCKET),
        (_LD_ABS, 0, 0, 16),  # low word of args[0], the family
        *((_JEQ, allow - (6 + i), 0, family) for i, family in enumerate(families)),
        (_RET, 0, 0, _ERRNO | errno.EAFNOSUPPORT),
        (_RET, 0, 0, _ALLOW),
    ]
    raw = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(raw, len(raw))
    prog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(buffer))
    prog_buffer = ctypes.create_string_buffer(prog, len(prog))
    _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(prog_buffer)), 0, 0)


def deny_write_execute() -> None:
    """What MemoryDenyWriteExecute= enforces: no mapping both writable and executable, ever."""
    _prctl(_PR_SET_MDWE, _MDWE_REFUSE_EXEC_GAIN, 0, 0, 0)


def _call(handlers: dict[str, Any], name: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = handlers[name](payload)
    except Exception as exc:  # the report says which operation failed and why
        return {"op": name, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"op": name, "ok": True, "answer": answer}


def _probe(path: str) -> str:
    try:
        with open(path, "x") as created:
            created.write("written from inside the sandbox\n")
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))
    return "written"


def main(spec: dict[str, Any]) -> None:
    if spec.get("mdwe"):
        deny_write_execute()
    if spec.get("families"):
        restrict_address_families(spec["families"])
    from tests.support.agent_handlers import handlers as agent_handlers

    handlers = agent_handlers()
    results = [_call(handlers, name, payload) for name, payload in spec.get("calls", [])]
    probes = {path: _probe(path) for path in spec.get("probes", [])}
    json.dump({"calls": results, "probes": probes}, sys.stdout, default=str)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
