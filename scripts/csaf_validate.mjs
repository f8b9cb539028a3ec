// Validates CSAF 2.0 documents with the BSI/secvisogram validator library: the strict
// schema test and every mandatory test of section 6.1. Each failure is printed as
// `FILE: TEST at JSON-PATH: MESSAGE`; the last line counts the documents. Exits 1 if any
// document fails, 2 on a usage error.
//
//   node scripts/csaf_validate.mjs FILE...
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

// validate, not validateStrict: the tests are the library's own, and validateStrict loads
// every optional and informative test too (seconds) to check that.
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: node scripts/csaf_validate.mjs FILE...')
  process.exit(2)
}

const require = createRequire(import.meta.url)
const { version } = require('@secvisogram/csaf-validator-lib/package.json')
const tests = [csaf_2_0_strict, ...Object.values(mandatory)]

let invalid = 0
for (const file of files) {
  let document
  try {
    document = JSON.parse(await readFile(file, 'utf8'))
  } catch (error) {
    console.log(`${file}: cannot read it as JSON: ${error.message}`)
    invalid += 1
    continue
  }
  const result = await validate(tests, document)
  if (result.isValid) {
    continue
  }
  invalid += 1
  for (const test of result.tests) {
    if (test.isValid) {
      continue
    }
    if (test.errors.length === 0) {
      console.log(`${file}: ${test.name} failed without a message`)
    }
    for (const error of test.errors) {
      console.log(`${file}: ${test.name} at ${error.instancePath || '/'}: ${error.message}`)
    }
  }
}

console.log(
  `csaf-validator-lib ${version}: ${files.length - invalid} of ${files.length} CSAF documents valid ` +
    `(schema csaf_2_0_strict and ${tests.length - 1} mandatory tests)`,
)
process.exit(invalid === 0 ? 0 : 1)
