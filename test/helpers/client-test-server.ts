// Child-process entry for the client's reconnect tests: serves clientTestGateway on PORT and
// prints "listening <port>". The test kills it (SIGKILL) and starts it again on the same port.
import { createGateway, silentLogger } from '../../src/index.js'
import { clientTestGateway } from './client-test-gateway.js'

// ANY_ORIGIN=1 lets a test page served from another loopback port connect (the browser tests).
const app = createGateway({ gateways: [clientTestGateway], logger: silentLogger, heartbeat: false, ...(process.env.ANY_ORIGIN ? { origins: '*' as const } : {}) })
const { port } = await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
process.stdout.write(`listening ${port}\n`)
