// Child-process entry for the client's reconnect tests: serves clientTestGateway on PORT and
// prints "listening <port>". The test kills it (SIGKILL) and starts it again on the same port.
import { createGateway, silentLogger } from '../../src/index.js'
import { clientTestGateway } from './client-test-gateway.js'

const app = createGateway({ gateways: [clientTestGateway], logger: silentLogger, heartbeat: false })
const { port } = await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
process.stdout.write(`listening ${port}\n`)
