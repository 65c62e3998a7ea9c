// Parse and validate an AsyncAPI document with the official parser; print its diagnostics as
// JSON lines and exit 1 when any is an error (severity 0).
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"));
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path.join("/") }));
}
const errors = diagnostics.filter((d) => d.severity === 0);
if (!document || errors.length) {
  console.error(`${errors.length} error(s) in ${path}`);
  process.exit(1);
}
console.log(JSON.stringify({ ok: true, version: document.version(), channels: document.channels().length, messages: document.allMessages().length }));
