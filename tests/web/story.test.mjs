// The demo's story walked through the pages in headless Chromium: a developer
// registers its model and proposes terms; both sides sign them in the browser
// with their own keys (WebCrypto Ed25519); the government opens its phase and
// hands over; the partner creates a gateway token and files a finding; the
// developer records the release; the partner escalates the finding, the analyst
// publishes it TLP:AMBER to healthcare, and the hospital's operator reads it.
// No step may log a console error. Screenshots land in test-output/web/story-*.png.
//
//   PREFLIGHT_BIN=target/debug/preflight node --test tests/web/story.test.mjs

import assert from 'node:assert/strict'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { Instance, Tab, launchBrowser } from './harness.mjs'

let pf
let browser
const people = {}
const keys = {}
// The review the story follows, once registered.
let review

before(async () => {
  pf = new Instance()
  pf.createOrg({ name: 'Frontier Lab', kind: 'developer_lab' })
  pf.createOrg({ name: 'Gov AI Evaluation Office', kind: 'government_evaluator' })
  pf.createOrg({ name: 'Redline Security', kind: 'trusted_partner' })
  pf.createOrg({ name: 'Clearinghouse', kind: 'clearinghouse' })
  pf.createOrg({ name: "St. Mary's Hospital", kind: 'operator', sector: 'healthcare' })
  for (const [who, file] of [['developer', 'dev.key'], ['government', 'gov.key']]) {
    keys[who] = path.join(pf.work, file)
  }
  const devKey = pf.keygen(keys.developer)
  const govKey = pf.keygen(keys.government)
  people.developer = pf.createPerson({
    org: 'Frontier Lab', name: 'Dana Developer', email: 'dana@lab.example', role: 'developer', publicKey: devKey,
  })
  people.government = pf.createPerson({
    org: 'Gov AI Evaluation Office', name: 'Gabe Evaluator', email: 'gabe@gov.example',
    role: 'government_evaluator', publicKey: govKey,
  })
  people.partner = pf.createPerson({
    org: 'Redline Security', name: 'Tess Partner', email: 'tess@redline.example', role: 'trusted_partner',
  })
  people.analyst = pf.createPerson({
    org: 'Clearinghouse', name: 'Ana Analyst', email: 'ana@clearinghouse.example', role: 'clearinghouse_analyst',
  })
  people.operator = pf.createPerson({
    org: "St. Mary's Hospital", name: 'Otto Operator', email: 'otto@hospital.example', role: 'operator',
  })
  await pf.start()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await pf?.stop()
})

async function as(t, who) {
  const tab = await Tab.open(t, browser, pf.base)
  const response = await tab.signIn(people[who].email, people[who].password)
  assert.equal(response.status(), 303, `${who} signs in`)
  t.after(() => tab.assertNoConsoleErrors())
  return tab
}

/** Clicks the button named `name` (in a form POSTing to `action`); expects a redirect. */
async function press(tab, name, action) {

  const response = await tab.submit(
    () => tab.page.getByRole('button', { name, exact: true }).first().click(),
    action,
  )
  if (response.status() !== 303) {
    const shown = await tab.page.locator('main').innerText()
    assert.fail(`${name}: ${response.status()}: ${shown}`)
  }
}

async function openReview(tab) {
  await tab.goto(`/reviews/${review}`)
  assert.equal(tab.status(), 200)
}

test('the developer registers its model and submits it', async (t) => {
  const tab = await as(t, 'developer')
  const page = tab.page
  await page.getByText('Register a model for review').click()
  await page.getByLabel('Model name', { exact: true }).fill('frontier-7')
  await page.getByLabel('Model version', { exact: true }).fill('rc1')
  await page.getByLabel('Upstream base URL').fill('http://127.0.0.1:9/v1')
  await page.getByLabel(/Upstream API key/).fill('sk-story-upstream-key')
  const response = await tab.submit(() => page.getByRole('button', { name: 'Register' }).click(), '/submissions')
  assert.equal(response.status(), 303)
  review = tab.path.split('/').pop()
  assert.match(review, /^[0-9a-f-]{36}$/)
  assert.equal(await tab.text('h1'), 'frontier-7 rc1')
  await press(tab, 'Submit for review', `/reviews/${review}/transition`)
  assert.match(await tab.text('.lede'), /submitted/)
  assert.doesNotMatch(await page.content(), /sk-story-upstream-key/, 'the upstream key is never shown')
})

test('the developer proposes terms and signs them with its own key', async (t) => {
  const tab = await as(t, 'developer')
  await openReview(tab)
  const page = tab.page
  const draft = JSON.parse(await page.getByLabel(/^Terms \(JSON/).inputValue())
  assert.equal(draft.partner_access.organisations.length, 1, 'the vetted partner is proposed')
  await press(tab, 'Propose', `/reviews/${review}/terms`)
  await page.getByLabel(/Your key file/).setInputFiles(keys.developer)
  await press(tab, 'Sign with my key', `/reviews/${review}/terms/1/sign`)
  assert.equal(await page.getByRole('button', { name: 'Sign with my key' }).count(), 0)
  await tab.screenshot('story-developer-review')
})

test('the government signs, opens its phase and hands over to the partner', async (t) => {
  const tab = await as(t, 'government')
  const page = tab.page
  await tab.navigate(() => page.locator(`a[href="/reviews/${review}"]`).click())
  await page.getByLabel(/Your key file/).setInputFiles(keys.government)
  await press(tab, 'Sign with my key', `/reviews/${review}/terms/1/sign`)
  const rows = page.locator('#terms-h ~ table tbody tr')
  assert.match(await rows.first().innerText(), /yes/, 'version 1 is signed by both')
  await press(tab, 'Start government phase', `/reviews/${review}/transition`)
  await press(tab, 'Start partner phase', `/reviews/${review}/transition`)
  assert.match(await tab.text('.lede'), /partner phase/)
  await tab.screenshot('story-government-review')
})

test('the partner sees its window open, takes a gateway token and files a finding', async (t) => {
  const tab = await as(t, 'partner')
  const page = tab.page
  assert.match(await page.locator('tbody tr').first().innerText(), /open now/)
  await tab.navigate(() => page.locator(`a[href="/reviews/${review}"]`).click())
  const made = await tab.submit(
    () => page.getByRole('button', { name: 'Create gateway token' }).click(),
    `/reviews/${review}/gateway-token`,
  )
  assert.equal(made.status(), 200)
  const token = await tab.text('code[data-token]')
  assert.match(token, /\S{20,}/, 'the token is shown once')
  await openReview(tab)
  await page.getByLabel('Title', { exact: true }).fill('Indirect prompt injection exfiltrates the system prompt')
  await page.getByLabel('Severity', { exact: true }).selectOption('medium')
  await page.getByLabel('Category taxonomy').selectOption('owasp_llm2025')
  await page.getByLabel(/^Category id/).fill('LLM01')
  await page.getByLabel('Description', { exact: true }).fill('Instructions planted in a fetched page made the model reveal its system prompt.')
  await page.getByLabel('Reproduction steps').fill('1. Serve the page. 2. Ask the model to summarise it.')
  await press(tab, 'File finding', `/reviews/${review}/findings`)
  assert.match(await page.locator('ul.findings').innerText(), /Indirect prompt injection/)
  await tab.screenshot('story-partner-review')
})

test('the developer records the release', async (t) => {
  const tab = await as(t, 'developer')
  await openReview(tab)
  await press(tab, 'Record release', `/reviews/${review}/transition`)
  assert.match(await tab.text('.lede'), /released/)
})

test('the partner escalates its finding, as the terms allow after release', async (t) => {
  const tab = await as(t, 'partner')
  await openReview(tab)
  const action = await tab.page.locator('form[action$="/escalate"]').first().getAttribute('action')
  await press(tab, 'Escalate to the clearinghouse', action)
})

test('the analyst validates the assessment and publishes it TLP:AMBER to healthcare', async (t) => {
  const tab = await as(t, 'analyst')
  const page = tab.page
  assert.equal(await tab.text('h1'), 'Assessments')
  await tab.navigate(() => page.locator('tbody a[href^="/assessments/"]').first().click())
  const here = tab.path
  await page.getByLabel('Move the report to').selectOption('valid')
  await press(tab, 'Move', `${here}/report-state`)
  await page.getByLabel('TLP label').selectOption('AMBER')
  await page.getByLabel('healthcare').check()
  await press(tab, 'Publish', `${here}/publish`)
  assert.match(await tab.text('.lede'), /TLP:AMBER/)
  await tab.screenshot('story-analyst-assessment')
})

test('the hospital operator reads the advisory at its TLP level, and no review', async (t) => {
  const tab = await as(t, 'operator')
  const page = tab.page
  assert.equal(await tab.text('h1'), 'Advisories')
  assert.match(await page.locator('main').innerText(), /TLP:AMBER[\s\S]*Indirect prompt injection/)
  tab.allow(403, `/reviews/${review}`)
  await tab.goto(`/reviews/${review}`)
  assert.equal(tab.status(), 403)
  await tab.screenshot('story-operator-advisories')
})

test('the analyst records an embargo, and its timeline shows it', async (t) => {
  const tab = await as(t, 'analyst')
  const page = tab.page
  await tab.navigate(() => page.locator('tbody a[href^="/assessments/"]').first().click())
  const here = tab.path
  const end = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 16)
  await page.getByLabel('Embargo', { exact: true }).selectOption('propose')
  await page.getByLabel(/^End \(UTC/).fill(end)
  await press(tab, 'Record', `${here}/embargo`)
  await page.getByLabel('Embargo', { exact: true }).selectOption('accept')
  await press(tab, 'Record', `${here}/embargo`)
  assert.match(await page.locator('#coord-h').locator('..').innerText(), /Embargo: active[\s\S]*Embargo ends/)
  assert.equal(await page.locator('svg[aria-label^="Embargo from"]').count(), 1)
  await tab.screenshot('story-analyst-embargo')
})
