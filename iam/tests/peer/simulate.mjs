// The peer side of the differential test (iam/tests/differential.rs).
//
// Reads a JSON array of authorization cases on stdin, evaluates each one with
// @cloud-copilot/iam-simulate, and writes a JSON array of results on stdout, in
// the same order:
//
//   { "name": string,
//     "result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//     "detail"?: string,                 // why, when the peer could not decide
//     "ignored_context_keys"?: string[]  // context keys the peer dropped
//   }
//
// A case on stdin:
//
//   { "name": string, "principal": string, "action": string, "resource": string,
//     "resource_account": string, "context": { key: string | string[] },
//     "identity": [{ "name": string, "policy": object }],
//     "resource_policy": object | null,
//     "boundary": { "name": string, "policy": object } | null }
//
// The process exits non-zero only when its input cannot be read; a case the peer
// rejects is reported as "Error" so that the Rust side can name it.

import { runSimulation } from '@cloud-copilot/iam-simulate'

const DECISIONS = new Set(['Allowed', 'ImplicitlyDenied', 'ExplicitlyDenied'])

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function toSimulation(testCase) {
  const simulation = {
    request: {
      principal: testCase.principal,
      action: testCase.action,
      resource: {
        resource: testCase.resource,
        accountId: testCase.resource_account
      },
      contextVariables: testCase.context ?? {}
    },
    identityPolicies: (testCase.identity ?? []).map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: []
  }
  if (testCase.resource_policy) {
    simulation.resourcePolicy = testCase.resource_policy
  }
  if (testCase.boundary) {
    simulation.permissionBoundaryPolicies = [
      { name: testCase.boundary.name, policy: testCase.boundary.policy }
    ]
  }
  return simulation
}

function ignoredKeysOf(response) {
  const ignored = new Set()
  if (response.resultType === 'single') {
    for (const key of response.result?.ignoredContextKeys ?? []) ignored.add(key)
  } else if (response.resultType === 'wildcard') {
    for (const r of response.results ?? []) {
      for (const key of r.ignoredContextKeys ?? []) ignored.add(key)
    }
  }
  return [...ignored].sort()
}

async function evaluate(testCase) {
  const name = String(testCase.name)
  let response
  try {
    response = await runSimulation(toSimulation(testCase), { simulationMode: 'Strict' })
  } catch (error) {
    return { name, result: 'Error', detail: `exception: ${error?.message ?? String(error)}` }
  }
  if (response.resultType === 'error') {
    return { name, result: 'Error', detail: JSON.stringify(response.errors) }
  }
  const result = response.overallResult
  if (!DECISIONS.has(result)) {
    return { name, result: 'Error', detail: `unexpected overall result ${JSON.stringify(result)}` }
  }
  const out = { name, result }
  const ignored = ignoredKeysOf(response)
  if (ignored.length > 0) {
    out.ignored_context_keys = ignored
  }
  if (response.resultType === 'wildcard') {
    out.detail = `wildcard resource: ${response.results.length} simulations`
  }
  return out
}

async function main() {
  const input = await readStdin()
  let cases
  try {
    cases = JSON.parse(input)
  } catch (error) {
    process.stderr.write(`simulate.mjs: stdin is not JSON: ${error.message}\n`)
    process.exit(2)
  }
  if (!Array.isArray(cases)) {
    process.stderr.write('simulate.mjs: stdin must be a JSON array of cases\n')
    process.exit(2)
  }
  const results = []
  for (const testCase of cases) {
    results.push(await evaluate(testCase))
  }
  process.stdout.write(JSON.stringify(results))
  process.stdout.write('\n')
}

await main()
