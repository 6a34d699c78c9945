import { createApp, type Platform } from './create-app'

async function main() {
  const platform = (process.env.NEST_PLATFORM ?? 'express') as Platform
  const app = await createApp(platform)
  app.enableShutdownHooks() // SIGTERM → app.close() → gangway drains, clients get 1001
  await app.listen(Number(process.env.PORT ?? 3000), '0.0.0.0')
  console.log(`Nest (${platform}) with gangway: ws://localhost:${process.env.PORT ?? 3000}/chat`)
}

void main()
