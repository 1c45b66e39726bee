"""What gridbot tells the operator on the command line: start-up and runtime faults (one paragraph each —
what happened, why, what to do — in Chinese, then English), the start-up banner and warnings, backup and
restore, web accounts and invite codes. Placeholders are filled with str.format."""

from __future__ import annotations

# ---------------------------------------------------------------- faults: (zh, en)

CONFIG_UNREADABLE = (
    "无法读取配置文件 {path}: {error}。请检查路径和文件权限(运行 gridbot 的用户要能读它)。",
    "Cannot read the config file {path}: {error}. Check the path and that the user running gridbot may read it.")
DB_SCHEME = (
    "不支持的数据库地址 {url}: gridbot 只支持 SQLite (sqlite:///路径/gridbot.db) 和 PostgreSQL "
    "(postgresql://用户:密码@主机:5432/库名)。请改 --db 参数或配置文件 [storage] url。",
    "Unsupported database URL {url}: gridbot works with SQLite (sqlite:///path/gridbot.db) and PostgreSQL "
    "(postgresql://user:password@host:5432/dbname) only. Change --db or [storage] url in the config.")
DB_SQLITE_OPEN = (
    "无法打开或创建 SQLite 数据库 {path}: 目录不存在或运行 gridbot 的用户({user})没有写权限"
    "(SQLite 还要在同一目录写 -wal/-shm 文件)。请创建该目录并授予写权限,或用 --db 指向一个可写的位置。",
    "Cannot open or create the SQLite database {path}: its directory is missing or not writable by the user "
    "running gridbot ({user}); SQLite also writes -wal/-shm files beside it. Create the directory and make it "
    "writable, or point --db at a writable place.")
DB_SQLITE_READONLY = (
    "SQLite 数据库 {path} 是只读的: 文件或其目录不允许运行 gridbot 的用户({user})写入。"
    "请修正文件和目录的所有者/权限(例如 chown gridbot: {path}),然后重试。",
    "The SQLite database {path} is read-only for the user running gridbot ({user}). Fix the owner or "
    "permissions of the file and its directory (e.g. chown gridbot: {path}), then retry.")
DB_SQLITE_NOT_DB = (
    "{path} 不是 SQLite 数据库(文件已损坏或是别的文件)。请检查 --db 路径;如果文件损坏,请用 "
    "gridbot restore 从备份恢复。",
    "{path} is not a SQLite database (damaged, or some other file). Check the --db path; if the file is "
    "damaged, restore it from a backup with gridbot restore.")
DB_SQLITE_FULL = (
    "数据库 {path} 写不进去: 磁盘已满。请清理磁盘空间(旧日志、旧备份)后重试;在此之前新消息无法保存。",
    "The database {path} cannot be written: the disk is full. Free some space (old logs, old backups) and "
    "retry; until then new messages cannot be stored.")
DB_SQLITE_LOCKED = (
    "SQLite 数据库 {path} 被别的进程长时间锁住(数据库正忙)。请确认没有卡住的 gridbot 或其它程序在写这个文件,"
    "稍后重试。",
    "The SQLite database {path} stayed locked by another process. Make sure no stuck gridbot or other program "
    "is writing to it, then retry.")
DB_MISSING = (
    "数据库 {path} 不存在。这个命令只读取已有的数据,不会新建空数据库: 请检查 --db 路径是否写错;"
    "新部署请先运行 gridbot migrate --db {path}(或直接 gridbot run)。",
    "The database {path} does not exist. This command reads existing data and does not create an empty "
    "database: check the --db path for a typo; for a new deployment run gridbot migrate --db {path} (or "
    "gridbot run) first.")
PG_REFUSED = (
    "连不上 PostgreSQL {where}: {error}。数据库服务没有运行、地址或端口不对,或防火墙挡住了连接。"
    "请检查 PostgreSQL 是否在运行(pg_isready -h {host} -p {port})以及数据库地址 {url}。",
    "Cannot connect to PostgreSQL at {where}: {error}. The server is not running, the host or port is wrong, "
    "or a firewall blocks it. Check that it runs (pg_isready -h {host} -p {port}) and the URL {url}.")
PG_AUTH = (
    "PostgreSQL {where} 拒绝了登录: {error}。用户名或密码不对,或 pg_hba.conf 不允许这个用户从这里连接。"
    "请核对数据库地址 {url} 里的用户名和密码。",
    "PostgreSQL at {where} refused the login: {error}. The user name or password is wrong, or pg_hba.conf does "
    "not let this user connect from here. Check the user and password in {url}.")
PG_NO_DATABASE = (
    "PostgreSQL {where} 上没有数据库 {dbname}。请先创建它(createdb -h {host} -p {port} -U <用户> {dbname}),"
    "然后运行 gridbot migrate。",
    "There is no database {dbname} on PostgreSQL at {where}. Create it (createdb -h {host} -p {port} -U <user> "
    "{dbname}), then run gridbot migrate.")
DB_TOO_NEW = (
    "数据库 {url} 的结构版本({error})比这个 gridbot 新: 它已被更新版本的 gridbot 升级过。"
    "请使用与数据库相同或更新的 gridbot 版本;不要用旧版本连接它。",
    "The database {url} has a newer schema ({error}) than this gridbot knows: a newer gridbot upgraded it. "
    "Run the same or a newer gridbot version against it.")
DATA_DIR = (
    "无法创建数据目录 {path}: {error}。请创建该目录并让运行 gridbot 的用户({user})可写,"
    "或在配置 [storage] data_dir 中指定别的目录。",
    "Cannot create the data directory {path}: {error}. Create it writable for the user running gridbot "
    "({user}), or set another [storage] data_dir in the config.")
PORT_BUSY = (
    "网页端口 {host}:{port} 已被占用: 可能 gridbot 已经在运行,或别的程序用了这个端口。"
    "请停止占用它的程序(ss -ltnp 'sport = :{port}' 可以查到是谁),或换一个端口: --port 8081(--port 0 表示任选空闲端口)。",
    "The web port {host}:{port} is already in use: gridbot may be running already, or another program holds it. "
    "Stop that program (ss -ltnp 'sport = :{port}' shows which) or choose another port: --port 8081 "
    "(--port 0 picks any free port).")
PORT_DENIED = (
    "没有权限监听 {host}:{port}(1024 以下的端口需要 root)。请用 1024 以上的端口(默认 8080),"
    "由反向代理(nginx/Caddy)对外提供 80/443。",
    "Not allowed to listen on {host}:{port} (ports below 1024 need root). Use a port above 1024 (default 8080) "
    "and let a reverse proxy (nginx/Caddy) serve 80/443.")
HOST_UNKNOWN = (
    "无法监听地址 {host}:{port}: {error}。请检查配置 [web] host(本机用 127.0.0.1,所有网卡用 0.0.0.0)。",
    "Cannot listen on {host}:{port}: {error}. Check [web] host in the config (127.0.0.1 for this machine only, "
    "0.0.0.0 for every interface).")
GATEWAY_UNREACHABLE = (
    "连不上微信网关 {endpoint}: {error}。网关没有运行、地址不对,或网关开着 TLS(Python 客户端只支持明文 gRPC,"
    "表现为 \"StreamTerminatedError: Connection lost\";请在网关一侧设置 WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true)。"
    "请检查 WECHATY_PUPPET_SERVICE_ENDPOINT 和网关日志;服务运行后断线会自动重连,启动时则必须连得上。",
    "Cannot reach the WeChat gateway at {endpoint}: {error}. The gateway is not running, the address is wrong, "
    "or it has TLS on (the Python client speaks plaintext gRPC only and then sees \"StreamTerminatedError: "
    "Connection lost\"; start the gateway with WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true). Check "
    "WECHATY_PUPPET_SERVICE_ENDPOINT and the gateway's log; once running, gridbot reconnects by itself, but at "
    "start the gateway must answer.")
GATEWAY_TOKEN = (
    "微信网关 {endpoint} 拒绝了令牌: {error}。请核对 WECHATY_PUPPET_SERVICE_TOKEN 与网关配置的令牌是否一致。",
    "The WeChat gateway at {endpoint} rejected the token: {error}. Check that WECHATY_PUPPET_SERVICE_TOKEN matches "
    "the gateway's token.")
WECOM_SECRET = (
    "企业微信拒绝了智能机器人的凭证 (bot {bot_id}, {url}): {error}。请在企业微信管理后台「智能机器人 → API 模式(长连接)」"
    "核对 Bot ID 和 Secret,把它们填入环境变量 WECOM_BOT_ID 和 WECOM_BOT_SECRET(重置 Secret 后旧的立即失效)。",
    "WeCom rejected the AI bot's credentials (bot {bot_id}, {url}): {error}. Check the Bot ID and Secret in the WeCom "
    "admin console (智能机器人 → API mode, long connection) and set WECOM_BOT_ID and WECOM_BOT_SECRET to them "
    "(resetting the Secret invalidates the old one at once).")
WECOM_UNREACHABLE = (
    "连不上企业微信智能机器人长连接 {url}: {error}。请检查本机能否访问该地址(防火墙、代理),或 WECOM_WS_URL 是否写对;"
    "服务运行后断线会自动重连,启动时则必须连得上。",
    "Cannot open the WeCom AI-bot long connection at {url}: {error}. Check that this machine can reach it (firewall, "
    "proxy) and that WECOM_WS_URL, if set, is right; once running, gridbot reconnects by itself, but at start the "
    "connection must succeed.")
ENV_HALF_SET = (
    "环境变量只设置了 {given},没有设置 {missing}。这两个要么都设置(使用该通道),要么都不设置;只设一个时不会悄悄改用别的通道。",
    "The environment sets {given} but not {missing}. Set both (to use that channel) or neither; with only one, "
    "gridbot refuses to start rather than silently use another channel.")
NO_GATEWAY = (
    "没有配置微信网关,服务无法收发消息。请设置环境变量 WECHATY_PUPPET_SERVICE_ENDPOINT(主机:端口)和 "
    "WECHATY_PUPPET_SERVICE_TOKEN,或在配置 [channel] 中填写 endpoint 和 token;只想试用请运行 gridbot demo。",
    "No WeChat gateway is configured, so the service cannot send or receive. Set WECHATY_PUPPET_SERVICE_ENDPOINT "
    "(host:port) and WECHATY_PUPPET_SERVICE_TOKEN, or endpoint and token in the config's [channel]; to try it "
    "out, run gridbot demo.")
DEMO_ACCOUNTS = (
    "拒绝启动: 这个数据库里有 gridbot demo 创建的演示账号 {users},密码是公开的「demo」,任何人都能用它们登录诉求工作台,"
    "看到居民的诉求和电话。请为每个账号设置新密码(gridbot user passwd <用户名>)或停用它(gridbot user disable "
    "<用户名>),或者为正式服务使用一个新的数据库。",
    "Refusing to start: this database holds the demo accounts {users} that gridbot demo created, with the public "
    "password 'demo'; anyone could log in to the needs inbox and read residents' needs and phones. Give each a "
    "new password (gridbot user passwd <name>) or disable it (gridbot user disable <name>), or use a fresh "
    "database for the real service.")
ALREADY_RUNNING_RESTORE = (
    "gridbot 正在使用数据库 {path}(服务还在运行),现在恢复会让服务继续写旧文件、丢失数据。"
    "请先停止服务(systemctl stop gridbot 或 docker compose stop gridbot),再运行 gridbot restore。",
    "A running gridbot is using the database {path}; restoring now would lose data (the service keeps writing "
    "to the old file). Stop the service first (systemctl stop gridbot or docker compose stop gridbot), then run "
    "gridbot restore.")
BACKUP_BAD = (
    "{path} 不是可用的 gridbot 备份: {error}。请检查文件是否完整(大小、传输是否中断),或换一个备份文件。",
    "{path} is not a usable gridbot backup: {error}. Check that the file is complete (size, an interrupted "
    "copy), or use another backup.")
BACKUP_KIND = (
    "备份 {path} 来自 {kind} 数据库,不能恢复到 {target} 数据库 {url}。请用同一种数据库恢复。",
    "The backup {path} holds a {kind} database and cannot be restored into the {target} database {url}. Restore "
    "it into the same kind of database.")
PG_TOOL_MISSING = (
    "没有找到 {tool}: PostgreSQL 的备份和恢复用 PostgreSQL 自带的 {tool}。请安装 PostgreSQL 客户端"
    "(Debian/Ubuntu: apt-get install postgresql-client,版本不低于服务器),或按 docs/operations.md 直接运行 "
    "pg_dump / pg_restore。",
    "{tool} was not found: PostgreSQL backups use PostgreSQL's own {tool}. Install the PostgreSQL client "
    "(Debian/Ubuntu: apt-get install postgresql-client, at least the server's version), or run pg_dump / "
    "pg_restore as docs/operations.md shows.")
PG_TOOL_FAILED = (
    "{tool} 失败(退出码 {code}): {error}。请检查数据库地址、权限,以及 {tool} 的版本不低于服务器版本。",
    "{tool} failed (exit code {code}): {error}. Check the database URL, permissions, and that {tool} is at least "
    "the server's version.")
OUT_UNWRITABLE = (
    "无法写入 {path}: {error}。请选择一个存在且可写的目录(--out)。",
    "Cannot write {path}: {error}. Choose an existing, writable place (--out).")
INTERNAL = (
    "内部错误: {error}。这是 gridbot 的缺陷,不是配置问题。请加 -v 重新运行,把输出(注意删去居民信息)发给维护者。",
    "Internal error: {error}. This is a bug in gridbot, not a configuration problem. Run again with -v and send "
    "the output (with residents' details removed) to the maintainers.")

# ---------------------------------------------------------------- start-up banner and warnings

RUNNING = "网格小助手已启动 / gridbot is running: {url}/"
INBOX = "  诉求工作台 / needs inbox:   {url}/inbox"
HEALTH = "  健康检查 / health:         {url}/healthz"
METRICS = "  监控指标 / metrics:        {url}/metrics  ({access})"
METRICS_LOCAL = "仅本机访问 / loopback only; set GRIDBOT_METRICS_TOKEN for remote scrapes"
METRICS_TOKEN = "需要令牌 / bearer token from GRIDBOT_METRICS_TOKEN"
SANDBOX = "  沙盒 / sandbox (chat as a demo resident): {url}/sandbox"
WEB_LISTENING = "网页已在监听 / web server listening on {url}/ ; 正在连接微信网关 / connecting to the gateway {endpoint} …"
STOPPING = "正在停止 / stopping (再按一次 Ctrl-C 立即退出 / press Ctrl-C again to quit at once) …"
STOPPED = "已停止 / stopped."
STOPPED_DURING_START = "启动中收到停止信号,已停止 / stopped during start-up."
NO_BASE_URL = (
    "警告 / WARNING: 配置 [web] base_url 未设置,问卷链接会指向 {url}(只有本机能打开)。"
    "请在配置中设置居民手机能打开的地址,例如 base_url = \"https://grid.example.org\"。\n"
    "[web] base_url is not set: survey links in pushes will point at {url}, which residents' phones cannot open. "
    "Set it to the public address, e.g. base_url = \"https://grid.example.org\".")
HOLIDAYS_UNKNOWN = (
    "警告 / WARNING: 节假日数据不包含 {year} 年(chinese_calendar 只到 {last} 年,配置 [pushes] holidays 也没有 {year} "
    "年的日期)。春节、端午、中秋和调休都会被当作普通日子:推送可能在假期发出,时限可能算错。请升级 chinese_calendar"
    "(pip install -U chinese_calendar),或在配置 [pushes] 中列出 {year} 年的 holidays 和 workdays(调休上班日)。\n"
    "Holiday data does not cover {year} (chinese_calendar ends with {last}; [pushes] holidays lists no {year} date). "
    "Spring Festival, Dragon Boat, Mid-autumn and the swapped working days (调休) will be treated as ordinary days: "
    "pushes may go out on holidays and clocks may be wrong. Upgrade chinese_calendar, or list {year}'s holidays and "
    "workdays under [pushes] in the config.")
HOLIDAYS_NEXT_YEAR = (
    "提示 / NOTE: 节假日数据还不包含明年({year} 年)。国务院办公厅通常在 11–12 月公布次年放假安排:公布后请升级 "
    "chinese_calendar,或在配置 [pushes] holidays / workdays 中列出 {year} 年的日期。\n"
    "Holiday data does not cover next year ({year}) yet. When the State Council publishes it (usually "
    "November–December), upgrade chinese_calendar or list {year}'s dates under [pushes] holidays / workdays.")

# ---------------------------------------------------------------- backup / restore

BACKUP_DONE = "备份完成 / backup written: {path} ({size}) — {what}"
RESTORE_DONE = "已恢复 / restored {path} from {backup} (备份时间 / taken {taken}); 原数据库另存为 / the previous database was kept as {kept}"
RESTORE_DONE_PG = "已恢复 / restored {url} from {backup} (备份时间 / taken {taken})"

# ---------------------------------------------------------------- invite codes

INVITE_NO_GRID = (
    "没有网格 {ref}: 配置 {config} 里的网格是 {grids}。网格员的邀请码要用 --ref 指定其中一个网格号。",
    "There is no grid {ref}: the config {config} has grids {grids}. A worker invite needs --ref with one of them.")
INVITE_NO_DEPARTMENT = (
    "没有科室 {ref}: 配置 {config} 里的科室是 {departments}。科室的邀请码要用 --ref(或姓名)指定其中一个。",
    "There is no department {ref}: the config {config} has {departments}. A department invite needs --ref (or the "
    "name) to be one of them.")
INVITE_CODE = "邀请码 / invite code: {code}  (请让对方私聊机器人发送「绑定 {code}」, 48小时内有效 / valid 48 hours)"

# ---------------------------------------------------------------- web accounts

USER_ADDED = "已添加 / added: {username} ({role})"
USER_PASSWORD_SET = "已设置新密码,该账号的登录和令牌均已失效 / password set; the user's sessions and tokens ended: {username}"
USER_DISABLED = "已停用,登录和令牌均已失效 / disabled; sessions and tokens ended: {username}"
USER_REVOKED = "已注销 {n} 个登录/令牌 / {n} sessions and tokens ended: {username}"
USER_ENABLED = "已启用 / enabled: {username}"
USER_TOKEN = "{token}\n(有效期至 / valid until {until}; 请求头 / header: Authorization: Bearer …)"
PASSWORDS_DIFFER = "两次输入不一致 / the passwords differ"
NO_USERS = "还没有网页账号 / no web accounts yet: gridbot user add USERNAME ROLE [REF]"

# An urgent alert the channel could not deliver (bot/sender.py gave up): every other admin is told privately.
ALERT_UNDELIVERED = "⚠️ 一条紧急提醒没能发给{to}(微信发送失败),请您跟进:\n{text}"
