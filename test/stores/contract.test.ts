/**
 * The store contract against the in-process stores: memory (stateful) and cookie (stateless).
 */
import { cookieStore, memoryStore } from 'oidc-session'
import { describeStoreContract } from './contract.js'

describeStoreContract('memory', () => memoryStore(), 'stateful')
describeStoreContract(
  'cookie',
  () => cookieStore({ secrets: ['contract-secret-contract-secret-contract-0123'] }),
  'stateless',
)
