/**
 * This repository installs Express 4 under the alias `express4` (Express 5 is `express`); its
 * types are those of `@types/express`, whose application API is the same for both.
 */
declare module 'express4' {
  import express from 'express'
  export = express
}
