#!/usr/bin/env node
// Gating script of the service-monitor flow. cao runs it (no shell, in this folder) before each
// scheduled run and reads one JSON object from stdout:
//   {"execute": false}                      the service is healthy: no agent is started
//   {"execute": true, "output": {...}}      it is not: the output fills the prompt's [[placeholders]]
// SERVICE_URL (from cao-server's environment) says what to check.
const url = process.env.SERVICE_URL ?? 'http://127.0.0.1:8080/health';
const checkedAt = new Date().toISOString();
let problem = '';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) problem = `HTTP ${res.status}`;
} catch (e) {
  problem = `no answer (${e.cause?.code ?? e.message})`;
}
process.stdout.write(JSON.stringify(problem ? { execute: true, output: { service: url, checked_at: checkedAt, problem } } : { execute: false }));
