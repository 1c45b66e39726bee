// The official npm gateway for gridbot's integration test: wechaty-puppet-service's PuppetServer in front of
// wechaty-puppet-mock. Commands arrive as JSON lines on stdin; what the bot sends is printed as JSON lines.
import readline from 'node:readline'
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

const [port, token] = process.argv.slice(2)
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })
const people = {}
for (const [id, name] of [['wx_bot', '小助手'], ['wx_zhang', '张阿姨'], ['wx_wang', '王网格员'], ['wx_liu', '刘大爷']]) {
  people[id] = mocker.createContact({ id, name })
}
const rooms = {}
for (const [id, topic, members] of [['r1@chatroom', '网格1一家亲', ['wx_bot', 'wx_zhang', 'wx_wang']],
                                    ['r9@chatroom', '新建的群', ['wx_bot', 'wx_liu']]]) {
  rooms[id] = mocker.createRoom({ id, topic, memberIdList: members })
}

const send = puppet.messageSendText.bind(puppet)
puppet.messageSendText = async (conversationId, text, mentionIdList) => {
  const result = await send(conversationId, text, mentionIdList)
  out({ sent: { conversationId, text, mentionIdList: mentionIdList || [] } })
  return result
}
const onStart = puppet.onStart.bind(puppet)
puppet.onStart = async () => {
  await onStart()
  setTimeout(() => { mocker.login(people.wx_bot); out({ loggedIn: true }) }, 300)
}

const server = new PuppetServer({ endpoint: `127.0.0.1:${port}`, puppet, token })
await server.start()
out({ listening: port })

for await (const line of readline.createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line)
  if (cmd.say) {
    const { from, room, to, text, mention } = cmd.say
    const mentions = (mention || []).map((id) => people[id])
    people[from].say(text, mentions).to(room ? rooms[room] : people[to])
  } else if (cmd.topic) {
    rooms[cmd.topic.room].topic(cmd.topic.text).by(people[cmd.topic.by])
  }
  out({ done: Object.keys(cmd)[0] })
}
