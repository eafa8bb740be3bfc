// Renders templates with the engines mailing services run. Reads a JSON list of jobs on stdin,
// {"engine": "handlebars" | "mustache" | "liquid", "template": "...", "data": {...}}, and writes a JSON list
// of {"output": "..."} or {"error": "..."} in the same order.
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

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = jobs.map((job) => {
  try {
    return { output: render(job) };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
});
process.stdout.write(JSON.stringify(results));
