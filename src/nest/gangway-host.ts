import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common'
import type { DiscoveryService, HttpAdapterHost } from '@nestjs/core'
import { createGateway, GatewayError, type GatewayApp, type Server } from '../index.js'
import { discoverGateways, type ProviderWrapper } from './discover-gateways.js'
import type { GangwayModuleOptions } from './gangway-module-options.js'
import { nestLogger } from './nest-logger.js'

/**
 * The gangway app of a Nest application. Inject it anywhere to push to
 * clients (`host.server().to(room).emit(...)`) or to read `app.draining` and
 * `app.connectionCount` for a health check.
 *
 * It mounts the gateways once every module is initialized
 * (`onApplicationBootstrap`) and drains them first thing when Nest shuts down
 * (`onModuleDestroy`): new frames get `UNAVAILABLE`, in-flight handlers finish
 * while the services they use are still up, then every client is closed with
 * 1001 before Nest closes its HTTP server.
 */
export class GangwayHost implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  #app: GatewayApp | undefined
  #address: AddressInfo | undefined

  constructor(
    private readonly options: GangwayModuleOptions,
    private readonly discovery: DiscoveryService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** The running gateway app. Throws before the Nest application is initialized. */
  get app(): GatewayApp {
    if (!this.#app) throw new GatewayError('CLOSED', 'gangway starts with the Nest application: call app.init() or app.listen() first')
    return this.#app
  }

  /** Where gangway's own server listens, with the `port` option; `undefined` when mounted on Nest's server. */
  get address(): AddressInfo | undefined {
    return this.#address
  }

  /** Whether the app is mounted (false before bootstrap). */
  get started(): boolean {
    return this.#app !== undefined
  }

  /** The push API of a namespace. @default the default namespace '/' */
  server(namespace?: string): Server {
    return this.app.server(namespace)
  }

  async onApplicationBootstrap(): Promise<void> {
    const providers = this.discovery.getProviders() as unknown as ProviderWrapper[]
    const others = providers.filter((w) => w.instance instanceof GangwayHost && w.instance !== this)
    if (others.length > 0) {
      throw new GatewayError('CONFIG_INVALID', 'GangwayModule.forRoot() is imported more than once: import it once, in the root module (it is global)')
    }
    const { gateways, port, host, ...appOptions } = this.options
    const found = discoverGateways(providers, gateways)
    const app = createGateway({ ...appOptions, logger: appOptions.logger ?? nestLogger(), gateways: found.map((g) => g.instance) })
    if (port !== undefined) {
      this.#address = await app.listen(port, host)
    } else {
      const server = this.adapterHost?.httpAdapter?.getHttpServer() as HttpServer | undefined
      if (!server) {
        throw new GatewayError('CONFIG_INVALID', 'This Nest application has no HTTP server (a microservice or an application context): pass GangwayModule.forRoot({ port })')
      }
      app.attach(server)
    }
    this.#app = app
  }

  async onModuleDestroy(): Promise<void> {
    await this.#app?.close()
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#app?.close() // already drained in onModuleDestroy; idempotent
  }
}
