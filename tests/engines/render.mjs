// Renders templates with the engines mailing services run. Reads lines of JSON lists of jobs on stdin,
// {"engine": "handlebars" | "mustache" | "liquid", "template": "...", "data": {...}}, and writes for each line
// a JSON list of {"output": "..."} or {"error": "..."} in the same order.
import Handlebars from "handlebars";
import Mustache from "mustache";
import { Liquid } from "liquidjs";

const liquid = new Liquid();

function render(job) {
  if (job.engine === "handlebars") {
    return Handlebars.compile(job.template, { strict: false })(job.data);
  }
  if (job.engine === "mustache") {
    return Mustache.render(job.template, job.data);
  }
  if (job.engine === "liquid") {
    return liquid.parseAndRenderSync(job.template, job.data);
  }
  throw new Error(`unknown engine ${job.engine}`);
}

// One JSON list of jobs per line in, one JSON list of results per line out, until stdin closes.
import readline from "node:readline";

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const results = JSON.parse(line).map((job) => {
    try {
      return { output: render(job) };
    } catch (error) {
      return { error: String(error && error.message ? error.message : error) };
    }
  });
  process.stdout.write(JSON.stringify(results) + "\n");
}
