// The web UI of `preflight serve` in headless Chromium, as its people use it: one
// seeded server for the whole file, a fresh browser context (its own cookies) per test.
// Tests run in order, so a later step may build on what an earlier one did. Screenshots
// and the server's log land in test-output/web/.
//
//   PREFLIGHT_BIN=target/debug/preflight node --test tests/web/

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { Instance, Tab, launchBrowser } from './harness.mjs'

// One organisation and one person per role; `landing` is where /home takes them.
const CAST = {
  developer: {
    org: { name: 'Frontier Lab', kind: 'developer_lab' },
    person: { name: 'Dana Developer', email: 'dana@lab.example' },
    landing: '/home',
    h1: 'Your submissions',
  },
  government_evaluator: {
    org: { name: 'Gov AI Evaluation Office', kind: 'government_evaluator' },
    person: { name: 'Gabe Evaluator', email: 'gabe@gov.example' },
    landing: '/home',
    h1: 'Review queue',
  },
  trusted_partner: {
    org: { name: 'Redline Security', kind: 'trusted_partner' },
    person: { name: 'Tess Partner', email: 'tess@redline.example' },
    landing: '/home',
    h1: 'Your assignments',
  },
  clearinghouse_analyst: {
    org: { name: 'Clearinghouse', kind: 'clearinghouse' },
    person: { name: 'Ana Analyst', email: 'ana@clearinghouse.example' },
    landing: '/assessments',
    h1: 'Assessments',
  },
  operator: {
    org: { name: "St. Mary's Hospital", kind: 'operator', sector: 'healthcare' },
    person: { name: 'Otto Operator', email: 'otto@hospital.example' },
    landing: '/advisories',
    h1: 'Advisories',
  },
}

const SESSION_COOKIE = 'preflight_session'

/** The same token with its last character changed. */
function tampered(token) {
  return `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`
}

let pf
let browser
// The seeded people by role, each with { id, email, password, token }.
const people = {}
// A second developer at the lab, whose sign-in the lockout test uses up.
let lockedOut

before(async () => {
  pf = new Instance()
  for (const [role, { org, person }] of Object.entries(CAST)) {
    pf.createOrg(org)
    people[role] = pf.createPerson({ ...person, org: org.name, role })
  }
  lockedOut = pf.createPerson({
    org: CAST.developer.org.name,
    name: 'Lee Locked',
    email: 'lee@lab.example',
    role: 'developer',
  })
  await pf.start()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await pf?.stop()
})

async function open(t) {
  return Tab.open(t, browser, pf.base)
}

/** Signs `role` in through the form and checks where it lands. */
async function signedIn(t, role) {
  const tab = await open(t)
  const { landing, h1 } = CAST[role]
  const response = await tab.signIn(people[role].email, people[role].password)
  assert.ok(
    [302, 303].includes(response.status()),
    `${role}: sign-in answered ${response.status()}, not a redirect`,
  )
  assert.equal(
    new URL(response.headers().location, pf.base).pathname,
    '/home',
    `${role}: sign-in did not redirect to /home`,
  )
  assert.equal(tab.path, landing, `${role}: landed on ${tab.path}`)
  assert.equal(tab.status(), 200, `${role}: ${landing} answered ${tab.status()}`)
  assert.equal(await tab.text('h1'), h1, `${role}: heading of ${landing}`)
  return tab
}

test('the sign-in form has labelled fields and a CSRF token', async (t) => {
  const tab = await open(t)
  const response = await tab.goto('/signin')
  assert.equal(response.status(), 200)
  const page = tab.page
  for (const [name, type] of [
    ['email', null],
    ['password', 'password'],
  ]) {
    const input = page.locator(`form input[name="${name}"]`)
    assert.equal(await input.count(), 1, `one input named ${name}`)
    if (type) assert.equal(await input.getAttribute('type'), type)
    const id = await input.getAttribute('id')
    assert.ok(id, `input ${name} has no id for a label to name`)
    assert.equal(await page.locator(`label[for="${id}"]`).count(), 1, `no <label for="${id}">`)
  }
  assert.equal(await page.locator('form input[name="csrf"]').getAttribute('type'), 'hidden')
  assert.notEqual(await tab.csrf(), '')
  assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).count(), 1)
  await tab.assertFormsCarryCsrf()
  await tab.screenshot('signin')
  tab.assertNoConsoleErrors()
})

for (const role of Object.keys(CAST)) {
  test(`${role} signs in and lands on ${CAST[role].landing}`, async (t) => {
    const tab = await signedIn(t, role)
    await tab.assertSignedInPage()
    if (role === 'developer') {
      // Links to its reviews, or, with none yet, a note saying what to do next.
      const reviews = await tab.page.locator('a[href^="/reviews/"]').count()
      if (reviews === 0)
        assert.notEqual(await tab.text('.empty'), '', 'no reviews and no .empty note')
    }
    await tab.screenshot(role)
    tab.assertNoConsoleErrors()
  })
}

test('a wrong password or an unknown email is refused with 401 and an alert', async (t) => {
  const tab = await open(t)
  tab.allow(401, '/signin')
  for (const [email, password] of [
    [people.developer.email, `${people.developer.password}x`],
    ['nobody@lab.example', people.developer.password],
  ]) {
    const response = await tab.signIn(email, password)
    assert.equal(response.status(), 401, `sign-in as ${email} with a wrong password`)
    assert.equal(tab.path, '/signin')
    assert.equal(
      await tab.page.locator('form input[name="email"]').count(),
      1,
      'the sign-in form is not shown again',
    )
    await tab.assertAlert()
    assert.equal(
      await tab.page.locator('input[name="password"]').inputValue(),
      '',
      'the password is sent back',
    )
    assert.equal(
      await tab.cookie(SESSION_COOKIE),
      undefined,
      'a refused sign-in set a session cookie',
    )
  }
  await tab.screenshot('signin-refused')
  tab.assertNoConsoleErrors()
})

test('after 5 failures for one email, its sign-in answers 429, even with the right password', async (t) => {
  const tab = await open(t)
  tab.allow(401, '/signin')
  tab.allow(429, '/signin')
  for (let attempt = 1; attempt <= 5; attempt++) {
    const response = await tab.signIn(lockedOut.email, `wrong-${attempt}`)
    assert.equal(response.status(), 401, `failure ${attempt}`)
  }
  let response = await tab.signIn(lockedOut.email, 'wrong-6')
  assert.equal(response.status(), 429, 'sixth attempt')
  await tab.assertAlert()
  await tab.screenshot('signin-locked')
  response = await tab.signIn(lockedOut.email, lockedOut.password)
  assert.equal(response.status(), 429, 'the right password during the lockout')
  await tab.assertAlert()
  assert.equal(
    await tab.cookie(SESSION_COOKIE),
    undefined,
    'a locked-out sign-in set a session cookie',
  )
  tab.assertNoConsoleErrors()

  // The lockout is for that email alone.
  const other = await signedIn(t, 'government_evaluator')
  other.assertNoConsoleErrors()
})

test('the session cookie is HttpOnly and SameSite=Strict', async (t) => {
  const tab = await signedIn(t, 'trusted_partner')
  const cookie = await tab.cookie(SESSION_COOKIE)
  assert.ok(cookie, `no ${SESSION_COOKIE} cookie after sign-in`)
  assert.equal(cookie.httpOnly, true, 'HttpOnly')
  assert.equal(cookie.sameSite, 'Strict', 'SameSite')
  assert.ok(
    !(await tab.page.evaluate(() => document.cookie)).includes(SESSION_COOKIE),
    'page script reads the session',
  )
  tab.assertNoConsoleErrors()
})

test('a POST without the right CSRF token is refused with 403', async (t) => {
  const tab = await open(t)
  tab.allow(403, '/signin')
  await tab.goto('/signin')
  const partner = people.trusted_partner
  for (const csrf of [undefined, 'wrong', tampered(await tab.csrf())]) {
    const fields = {
      email: partner.email,
      password: partner.password,
      ...(csrf === undefined ? {} : { csrf }),
    }
    assert.equal(await tab.post('/signin', fields), 403, `sign-in with csrf ${csrf}`)
  }
  assert.equal(
    await tab.cookie(SESSION_COOKIE),
    undefined,
    'a refused sign-in set a session cookie',
  )
  tab.assertNoConsoleErrors()
})

test('signing out needs the CSRF token, and then ends the session', async (t) => {
  const tab = await signedIn(t, 'developer')
  tab.allow(403, '/signout')
  const token = await tab.signOutButton.evaluate((button) => button.form.elements.csrf.value)
  assert.equal(await tab.post('/signout', {}), 403, 'sign-out without csrf')
  assert.equal(
    await tab.post('/signout', { csrf: tampered(token) }),
    403,
    'sign-out with a wrong csrf',
  )

  // Still signed in.
  await tab.goto('/home')
  assert.equal(await tab.text('h1'), CAST.developer.h1)
  const session = await tab.cookie(SESSION_COOKIE)
  assert.ok(session, `no ${SESSION_COOKIE} cookie`)

  await tab.submit(() => tab.signOutButton.click(), '/signout')
  await tab.screenshot('signed-out')
  await assertSignedOut(tab)
  tab.assertNoConsoleErrors()

  // The old cookie is dead on the server too, not only dropped by the browser.
  const replay = await open(t)
  await replay.context.addCookies([session])
  await assertSignedOut(replay)
  replay.assertNoConsoleErrors()
})

async function assertSignedOut(tab) {
  tab.allow(401, '/home')
  tab.allow(403, '/home')
  const response = await tab.goto('/home')
  assert.equal(await tab.signOutButton.count(), 0, 'still signed in')
  assert.ok(
    tab.path === '/signin' || [401, 403].includes(response.status()),
    `signed out, /home answered ${response.status()} at ${tab.path}`,
  )
}

test('a review is shown to its developer and refused to an operator', async (t) => {
  const review = pf.submit(people.developer)

  const developer = await signedIn(t, 'developer')
  const link = developer.page.locator(`a[href="/reviews/${review}"]`)
  assert.equal(await link.count(), 1, `no link to /reviews/${review} on the developer's home`)
  await developer.screenshot('developer-with-review')
  await developer.navigate(() => link.click())
  assert.equal(developer.path, `/reviews/${review}`)
  assert.equal(developer.status(), 200)
  await developer.assertSignedInPage()
  await developer.screenshot('review')
  developer.assertNoConsoleErrors()

  // Refused the same whether or not the review exists.
  const operator = await signedIn(t, 'operator')
  for (const id of [review, randomUUID()]) {
    operator.allow(403, `/reviews/${id}`)
    const response = await operator.goto(`/reviews/${id}`)
    assert.equal(response.status(), 403, `operator opening /reviews/${id}`)
    await operator.assertAlert()
  }
  await operator.screenshot('operator-review-refused')
  operator.assertNoConsoleErrors()
})
