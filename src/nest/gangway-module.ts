import type { DynamicModule, Provider } from '@nestjs/common'
import { DiscoveryModule, DiscoveryService, HttpAdapterHost } from '@nestjs/core'
import { GatewayError } from '../index.js'
import { GangwayHost } from './gangway-host.js'
import { GANGWAY_OPTIONS, type GangwayModuleAsyncOptions, type GangwayModuleOptions } from './gangway-module-options.js'

/**
 * Mounts gangway gateways in a Nest application. Import it once, in the root
 * module; it is global. Gateways are ordinary providers of your feature
 * modules, so Nest builds them with its own DI — exactly once, however many
 * modules import the module that provides them.
 *
 * @example
 * @Module({
 *   imports: [ChatModule, GangwayModule.forRoot({ hello: true })],
 * })
 * export class AppModule {}
 */
export class GangwayModule {
  /** Registers gangway with static options. */
  static forRoot(options: GangwayModuleOptions = {}): DynamicModule {
    if (options === null || typeof options !== 'object') throw new GatewayError('CONFIG_INVALID', 'GangwayModule.forRoot() takes an options object')
    return GangwayModule.#module([], { provide: GANGWAY_OPTIONS, useValue: Object.freeze({ ...options }) })
  }

  /** Registers gangway with options built by a factory (from `ConfigService`, say). */
  static forRootAsync(options: GangwayModuleAsyncOptions): DynamicModule {
    if (typeof options?.useFactory !== 'function') throw new GatewayError('CONFIG_INVALID', 'GangwayModule.forRootAsync() needs useFactory')
    return GangwayModule.#module(options.imports ?? [], {
      provide: GANGWAY_OPTIONS,
      useFactory: options.useFactory,
      inject: [...((options.inject ?? []) as never[])],
    })
  }

  static #module(imports: readonly unknown[], optionsProvider: Provider): DynamicModule {
    return {
      module: GangwayModule,
      global: true,
      imports: [DiscoveryModule, ...(imports as never[])],
      providers: [
        optionsProvider,
        {
          // A factory rather than constructor metadata: this package is compiled without emitDecoratorMetadata.
          provide: GangwayHost,
          useFactory: (options: GangwayModuleOptions, discovery: DiscoveryService, adapterHost: HttpAdapterHost) =>
            new GangwayHost(options, discovery, adapterHost),
          inject: [GANGWAY_OPTIONS, DiscoveryService, HttpAdapterHost],
        },
      ],
      exports: [GangwayHost],
    }
  }
}
