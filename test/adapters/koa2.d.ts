/**
 * This repository installs Koa 2 under the alias `koa2` (Koa 3 is `koa`); `@types/koa` describes
 * both.
 */
declare module 'koa2' {
  import Koa from 'koa'
  export = Koa
}
