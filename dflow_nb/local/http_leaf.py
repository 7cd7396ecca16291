"""An Argo ``http`` template on the local engine: the request is sent from the engine itself
(Argo's agent does it on a cluster), its body is the step's ``result``."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from dflow_nb.expressions import ExpressionError, evaluate, render
from dflow_nb.local.results import RESULT_LIMIT, Result, Scope
from dflow_nb.model.templates import HTTPOPTemplate

DEFAULT_TIMEOUT = 30   # seconds, Argo's default timeoutSeconds


async def run_http(tmpl: HTTPOPTemplate, d: Path, scope: Scope) -> Result:
    """Send the request; the phase comes from ``success_condition`` over Argo's ``request.*``
    and ``response.*`` variables (default: a status below 400)."""
    import httpx
    url = render(tmpl.url, scope)
    headers = {k: render(str(v), scope) for k, v in tmpl.headers.items()}
    body = render(tmpl.body, scope) if tmpl.body else None
    log = d / "log.txt"
    try:
        async with httpx.AsyncClient(verify=not tmpl.insecure_skip_verify,
                                     timeout=tmpl.timeout_seconds or DEFAULT_TIMEOUT) as client:
            resp = await client.request(tmpl.method, url, headers=headers, content=body)
    except httpx.HTTPError as exc:
        log.write_text(f"{tmpl.method} {url}: {exc}\n")
        return Result("Failed", f"HTTP {tmpl.method} {url} failed: {exc}")
    text = resp.text
    log.write_text(f"{tmpl.method} {url} -> {resp.status_code}\n{text}\n")
    env: Dict[str, Any] = dict(scope)
    env.update({"request.url": url, "request.method": tmpl.method, "request.body": body or "",
                "request.headers": {k: [v] for k, v in headers.items()},
                "response.statusCode": resp.status_code, "response.body": text,
                "response.headers": {k: [v] for k, v in resp.headers.items()}})
    try:
        ok = bool(evaluate(tmpl.success_condition, env)) if tmpl.success_condition \
            else resp.status_code < 400
    except ExpressionError as exc:
        return Result("Error", f"successCondition {tmpl.success_condition!r}: {exc}")
    result = text[:RESULT_LIMIT]
    if ok:
        return Result("Succeeded", None, result=result)
    why = f"successCondition {tmpl.success_condition!r} is false" if tmpl.success_condition \
        else f"status code {resp.status_code}"
    return Result("Failed", f"HTTP {tmpl.method} {url}: {why}", result=result)
