// What the browser tests share: a `preflight serve` on a fresh data dir seeded with
// `preflight admin`, headless Chromium, and the checks every page must pass.
//
// Environment:
//   PREFLIGHT_BIN       the preflight binary (required)
//   PREFLIGHT_CHROMIUM  the Chromium to drive (default /usr/bin/chromium, Debian's package)

import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
// Screenshots and the server's log; test-output/ is git-ignored.
export const OUTPUT = path.join(ROOT, 'test-output', 'web')
const CHROMIUM = process.env.PREFLIGHT_CHROMIUM || '/usr/bin/chromium'

function binary() {
  const bin = process.env.PREFLIGHT_BIN
  if (!bin) throw new Error('PREFLIGHT_BIN is not set (the preflight binary to test)')
  return bin
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** `{ org: 'Lab', sector: undefined }` as `['--org', 'Lab']`. */
function flags(options) {
  return Object.entries(options).flatMap(([name, value]) =>
    value === undefined ? [] : [`--${name}`, value],
  )
}

function days(n) {
  return new Date(Date.now() + n * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z')
}

/** A preflight instance of its own: data dir, seeded accounts, and `preflight serve`. */
export class Instance {
  constructor() {
    this.bin = binary()
    this.work = mkdtempSync(path.join(tmpdir(), 'preflight-web-'))
    this.data = path.join(this.work, 'data')
    mkdirSync(OUTPUT, { recursive: true })
    this.logFile = path.join(OUTPUT, 'server.log')
    this.process = null
    this.exited = null
    this.port = 0
  }

  /** The address the browser uses: localhost is a secure context, so Secure cookies work. */
  get base() {
    return `http://localhost:${this.port}`
  }

  cli(args, { input, env } = {}) {
    const what = `preflight ${args.slice(0, 2).join(' ')}`
    const done = spawnSync(this.bin, args, {
      cwd: ROOT,
      input,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, ...env },
    })
    if (done.error) throw new Error(`${what}: ${done.error.message}`)
    if (done.status !== 0) {
      throw new Error(`${what} exited with ${done.status}: ${done.stderr.trim()}`)
    }
    return done.stdout.trim()
  }

  admin(command, ...args) {
    return this.cli(['admin', command, '--data-dir', this.data, ...args])
  }

  /** An organisation; trusted partners are vetted for the next year. Returns its id. */
  createOrg({ name, kind, sector }) {
    const id = this.admin('create-org', ...flags({ name, kind, sector }))
    if (kind === 'trusted_partner') {
      this.admin('vet-partner', ...flags({ org: id, until: days(365) }))
    }
    return id
  }

  /** A new Ed25519 key file (PKCS#8 PEM) at `file`; returns the public key. */
  keygen(file) {
    return this.cli(['keygen', '--key-file', file])
  }

  /** A person with a password for the browser and an API token for scripted steps. */
  createPerson({ org, name, email, role, publicKey }) {
    const id = this.admin(
      'create-user',
      ...flags({ org, name, email, role, 'public-key': publicKey }),
    )
    const password = randomBytes(18).toString('base64url')
    this.setPassword(email, password)
    const token = this.admin('create-token', ...flags({ user: email, label: 'web tests' }))
    return { id, name, email, role, password, token }
  }

  setPassword(email, password) {
    try {
      this.cli(['admin', 'set-password', '--data-dir', this.data, '--user', email], {
        input: `${password}\n`,
      })
    } catch (error) {
      if (/unrecognized subcommand 'set-password'/.test(error.message)) {
        throw new Error(
          `${this.bin} has no 'admin set-password', so it has no web UI to test; build one that does`,
        )
      }
      throw error
    }
  }

  /** A submission by a developer, through the CLI and the developer's token. Returns its id. */
  /** `upstream` is where the gateway sends the model's calls; nothing listens at the default. */
  submit(
    developer,
    { model = 'frontier-7', version = 'rc1', upstream = 'http://127.0.0.1:9/v1' } = {},
  ) {
    const options = { model, 'model-version': version, release: days(60), 'upstream-url': upstream }
    return this.cli(['submit', ...flags(options)], {
      env: {
        PREFLIGHT_SERVER: `http://127.0.0.1:${this.port}`,
        PREFLIGHT_TOKEN: developer.token,
      },
    })
  }

  async start() {
    this.port = await freePort()
    const log = openSync(this.logFile, 'w')
    this.process = spawn(
      this.bin,
      ['serve', '--data-dir', this.data, '--listen', `127.0.0.1:${this.port}`],
      {
        cwd: ROOT,
        stdio: ['ignore', log, log],
      },
    )
    closeSync(log)
    this.exited = new Promise((resolve) =>
      this.process.on('exit', (code, signal) => resolve(signal ?? code)),
    )
    const deadline = Date.now() + 60_000
    let stopped
    this.exited.then((how) => (stopped = how))
    while (Date.now() < deadline) {
      if (stopped !== undefined)
        throw new Error(`preflight serve exited (${stopped}):\n${this.logTail()}`)
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/healthz`, {
          signal: AbortSignal.timeout(2000),
        })
        if (response.ok) return
      } catch {
        // not listening yet
      }
      await sleep(100)
    }
    throw new Error(`preflight serve did not answer /healthz within 60 s:\n${this.logTail()}`)
  }

  async stop() {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM')
      const timeout = sleep(30_000, 'timeout', { ref: false })
      if ((await Promise.race([this.exited, timeout])) === 'timeout') {
        this.process.kill('SIGKILL')
        await this.exited
      }
    }
    rmSync(this.work, { recursive: true, force: true })
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n')
    } catch {
      return '(no server log)'
    }
  }
}

export async function launchBrowser() {
  try {
    // Playwright passes --no-sandbox itself unless chromiumSandbox is set, so root is fine.
    return await chromium.launch({ executablePath: CHROMIUM })
  } catch (error) {
    throw new Error(
      `cannot start Chromium at ${CHROMIUM} (apt-get install chromium, or set PREFLIGHT_CHROMIUM): ${error.message}`,
    )
  }
}

const REFUSED = /^Failed to load resource: the server responded with a status of (\d{3})\b/

/**
 * One browser context (its own cookies) and page, closed when the test ends. It records
 * console errors and uncaught exceptions; `allow(status, path)` excuses Chromium's own
 * "Failed to load resource" line for an answer the test expects to be a refusal.
 */
export class Tab {
  static async open(t, browser, base) {
    const context = await browser.newContext({ baseURL: base })
    context.setDefaultTimeout(10_000)
    t.after(() => context.close())
    return new Tab(context, await context.newPage())
  }

  constructor(context, page) {
    this.context = context
    this.page = page
    this.errors = []
    this.allowed = new Set()
    this.document = null
    page.on('console', (message) => {
      if (message.type() === 'error')
        this.errors.push({ text: message.text(), url: message.location().url })
    })
    page.on('pageerror', (error) =>
      this.errors.push({ text: `uncaught ${error.name}: ${error.message}`, url: page.url() }),
    )
    // The main frame's last document response, after any redirects.
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame())
        this.document = response
    })
  }

  allow(status, pathname) {
    this.allowed.add(`${status} ${pathname}`)
  }

  consoleErrors() {
    return this.errors.filter(({ text, url }) => {
      const refused = REFUSED.exec(text)
      return !(refused && url && this.allowed.has(`${refused[1]} ${new URL(url).pathname}`))
    })
  }

  assertNoConsoleErrors() {
    const left = this.consoleErrors()
    assert.deepEqual(
      left,
      [],
      `console errors:\n${left.map((e) => `  ${e.url}: ${e.text}`).join('\n')}`,
    )
  }

  get path() {
    return new URL(this.page.url()).pathname
  }

  /** The status of the page now shown (the last response of its navigation). */
  status() {
    assert.ok(this.document, `no document response for ${this.page.url()}`)
    return this.document.status()
  }

  async goto(pathname) {
    const response = await this.page.goto(pathname)
    assert.ok(response, `no response for ${pathname}`)
    return response
  }

  /** Runs `action` (a click that leaves the page) and waits until the next page has loaded. */
  async navigate(action) {
    const page = this.page
    const committed = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame(),
    })
    await action()
    await committed
    await page.waitForLoadState('load')
  }

  /**
   * Runs `action` (a click that submits a form POSTing to `pathname`) and waits until the
   * next page has loaded. Returns the POST's own response (a redirect on success).
   */
  async submit(action, pathname) {
    const posted = this.page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === pathname,
    )
    const [response] = await Promise.all([posted, this.navigate(action)])
    return response
  }

  /** Fills the sign-in form by its labels and sends it. Returns the POST's response. */
  async signIn(email, password) {
    if (this.path !== '/signin') {
      const response = await this.goto('/signin')
      assert.equal(response.status(), 200, 'GET /signin')
    }
    await this.page.getByLabel(/e-?mail/i).fill(email)
    await this.page.getByLabel(/password/i).fill(password)
    return this.submit(
      () => this.page.getByRole('button', { name: 'Sign in', exact: true }).click(),
      '/signin',
    )
  }

  get signOutButton() {
    return this.page.getByRole('button', { name: 'Sign out', exact: true })
  }

  /** The hidden CSRF token of the first form on the page that has one. */
  async csrf() {
    return this.page.locator('form input[name="csrf"]').first().inputValue()
  }

  /**
   * A same-origin form POST from inside the page (so the session cookie and Origin go
   * with it, as with any form), without following a redirect. Returns the status; 0
   * means a redirect, that is, the server took the POST.
   */
  async post(pathname, fields) {
    return this.page.evaluate(
      async ([url, body]) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
          redirect: 'manual',
        })
        return response.status
      },
      [pathname, new URLSearchParams(fields).toString()],
    )
  }

  async cookie(name) {
    return (await this.context.cookies()).find((c) => c.name === name)
  }

  async screenshot(name) {
    await this.page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true })
  }

  async text(selector) {
    return (await this.page.locator(selector).first().innerText()).trim()
  }

  /** An element `[role=alert]` is shown and says something. */
  async assertAlert() {
    const alert = this.page.locator('[role="alert"]').first()
    assert.ok(await alert.isVisible(), `no visible [role=alert] on ${this.page.url()}`)
    assert.notEqual(
      (await alert.innerText()).trim(),
      '',
      `empty [role=alert] on ${this.page.url()}`,
    )
  }

  /** Every form that POSTs carries a hidden, non-empty `csrf` input. */
  async assertFormsCarryCsrf() {
    const forms = await this.page.locator('form').evaluateAll((all) =>
      all
        .filter((form) => form.method === 'post')
        .map((form) => {
          const csrf = form.querySelector('input[name="csrf"]')
          return { action: form.getAttribute('action'), type: csrf?.type, value: csrf?.value ?? '' }
        }),
    )
    for (const form of forms) {
      assert.equal(form.type, 'hidden', `form to ${form.action} has no hidden csrf input`)
      assert.notEqual(form.value, '', `form to ${form.action} has an empty csrf input`)
    }
  }

  /** What every signed-in page has: a heading, a nav with links, and a Sign out form. */
  async assertSignedInPage() {
    const page = this.page
    assert.ok((await page.locator('h1').count()) >= 1, `no <h1> on ${page.url()}`)
    assert.ok(
      (await page.locator('nav a[href]').count()) >= 1,
      `no <nav> with links on ${page.url()}`,
    )
    const signOut = this.signOutButton
    assert.equal(await signOut.count(), 1, `no single "Sign out" button on ${page.url()}`)
    const form = await signOut.evaluate((button) => {
      const f = button.form
      return f && { method: f.method, action: new URL(f.action).pathname }
    })
    assert.deepEqual(
      form,
      { method: 'post', action: '/signout' },
      'the Sign out button is not in a form POSTing to /signout',
    )
    await this.assertFormsCarryCsrf()
  }
}
