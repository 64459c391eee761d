"""MCP conformance: the official Python SDK (`mcp`, pinned by
scripts/mcp-client.sh) drives the farm's /mcp endpoint, once per protocol
generation: `--mode 2026-07-28` (stateless, per-request _meta) and
`--mode legacy` (the SDK's initialize handshake, which negotiates
2025-11-25). Steps: list the tools, upload a mesh inline, wait for the
analysis, quote it, and with --order place a test-mode order (checkout,
completed by the REST test helper), then read its status.

Run by tests/tests/mcp_conformance.rs, which starts the app and makes the
key. Prints one JSON object (what each step returned) on stdout; any
failed expectation raises, so the exit status is non-zero.
"""

import argparse
import asyncio
import base64
import json
import sys
import urllib.request

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def structured(result):
    """The structured content, after checking the text block is its copy."""
    assert not result.is_error, f"tool failed: {result.structured_content}"
    text = json.loads(result.content[0].text)
    assert text == result.structured_content, "text block differs from structuredContent"
    return result.structured_content


def rest(base, key, method, path, body=None):
    """A plain REST call (only for the test helper a person's payment stands in for)."""
    req = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


async def run(args):
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {args.key}"})
    out = {"mode": args.mode}
    async with http, Client(streamable_http_client(args.url + "/mcp", http_client=http), mode=args.mode) as client:
        out["protocol_version"] = client.protocol_version
        tools = await client.list_tools()
        out["tools"] = [t.name for t in tools.tools]
        mesh = base64.b64encode(open(args.mesh, "rb").read()).decode()
        up = structured(await client.call_tool("upload_part", {"filename": "part.stl", "content_base64": mesh}))
        out["upload"] = up
        for _ in range(100):
            analysis = structured(await client.call_tool("get_part_analysis", {"file_id": up["file_id"]}))
            if analysis["status"] != "processing":
                break
            await asyncio.sleep(0.2)
        assert analysis["status"] == "ready", analysis
        out["analysis_status"] = analysis["status"]
        quote = structured(
            await client.call_tool(
                "quote_part",
                {"file_id": up["file_id"], "material_id": args.material, "quantity": 2, "ship_country": "US"},
            )
        )
        out["quote"] = quote
        if args.order:
            address = {"line1": "1 Test Street", "city": "Testville", "country": "US"}
            checkout = structured(
                await client.call_tool(
                    "start_checkout",
                    {
                        "quote_id": quote["quote_id"],
                        "shipping_address": address,
                        "idempotency_key": f"conformance-{args.mode}",
                    },
                )
            )
            out["checkout"] = checkout
            # The person's payment: the test-mode stand-in for the approval page.
            rest(args.url, args.key, "POST", f"/v1/test_helpers/checkout_sessions/{checkout['id']}/complete", {})
            order = structured(await client.call_tool("get_order", {"order_id": checkout["order_id"]}))
            out["order"] = order
        # An error comes back as a tool result carrying the API's code.
        missing = await client.call_tool("get_part_analysis", {"file_id": "file_" + "a" * 32})
        assert missing.is_error, missing
        out["error"] = missing.structured_content
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--mode", required=True)
    p.add_argument("--mesh", required=True)
    p.add_argument("--material", required=True)
    p.add_argument("--order", action="store_true")
    out = asyncio.run(run(p.parse_args()))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
