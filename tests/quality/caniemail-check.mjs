// Prints caniemail's findings for one HTML file as JSON: {errors: [...], warnings: [...]}, one entry per
// client and feature. Usage: node caniemail-check.mjs FILE CLIENT_GLOB...
import { readFileSync } from 'node:fs';
import { caniemail } from 'caniemail';

const [file, ...clients] = process.argv.slice(2);
const { issues } = caniemail({ clients, html: readFileSync(file, 'utf8') });
const flatten = (map) => [...map.entries()].flatMap(([client, list]) =>
  list.map((issue) => ({ client, title: issue.title, line: issue.position?.start?.line ?? null })));
console.log(JSON.stringify({ errors: flatten(issues.errors), warnings: flatten(issues.warnings) }));
