"""The admin pages' words: 账号与值班 (accounts, duty hours, AB岗) and 知识库 (the FAQ)."""

STAFF_TAB = "账号与值班"
STAFF_TITLE = "账号与值班"
FAQ_TAB = "知识库"
FAQ_TITLE = "知识库(常见问题)"

ACCOUNTS = "网页账号"
ACCOUNTS_HINT = "新账号和重置后的密码由系统生成,只显示一次,请当面或电话告知本人。停用后该账号的登录立即失效。"
ADD_ACCOUNT = "新建账号"
DUTY = "值班时间与AB岗"
DUTY_HINT = ("网格员不在值班时间内时,紧急诉求同时通知AB岗;超时督办的第一级也会通知AB岗。"
             "修改立即生效,无需重启。值班时间写成 08:00-20:00(可跨夜,如 20:00-08:00),留空为全天。")
CHANGES = "最近的修改"
NO_CHANGES = "还没有修改记录。"
NO_ACCOUNTS = "还没有网页账号。"

ADDED = "已新建账号 {username}。初始密码(只显示这一次): "
RESET = "已为 {username} 重置密码,原有登录已失效。新密码(只显示这一次): "
DISABLED = "已停用账号 {username},其登录已全部失效。"
ENABLED = "已启用账号 {username}。"
DUTY_SAVED = "网格{grid}的值班安排已保存,立即生效。"

ACTIONS = {
    "backup": "AB岗", "duty": "值班时间", "user_add": "新建账号", "user_passwd": "重置密码",
    "user_disable": "停用账号", "user_enable": "启用账号", "faq_seed": "从配置导入", "faq_add": "新增问答",
    "faq_edit": "修改问答", "faq_delete": "删除问答",
}

FAQ_HINT = ("居民问到这里的问题时,小助手直接回答。一条问答可以有多个问法/关键词(每行一个,或用逗号分开),"
            "居民的话里包含某个问法的全部词语即可匹配,顺序不限。修改立即生效,无需重启。")
FAQ_FROM_CONFIG = ("现在使用的是配置文件 [[knowledge.faq]] 中的条目。第一次在这里修改时,这些条目会复制到数据库,"
                   "此后以这里为准(配置文件中再改的问答不再自动生效,可用下方按钮导入)。")
FAQ_FROM_DB = "问答保存在数据库中,以这里为准。配置文件中新增的问答可用“从配置文件导入”补上(已有的问法不会重复导入)。"
FAQ_ADDED = "已新增问答,立即生效。"
FAQ_EDITED = "已保存修改,立即生效。"
FAQ_DELETED = "已删除问答。"
FAQ_IMPORTED = "已从配置文件导入 {n} 条问答。"
FAQ_EMPTY = "还没有问答。"
FAQ_TRY = "试一试"
FAQ_TRY_HINT = "输入一句居民可能会问的话,看小助手会怎么回答。"
FAQ_TRY_NONE = "小助手不会从知识库回答这句话(会当作诉求或闲聊处理)。"

ERRORS = {
    "no_grid": "没有网格{grid}。",
    "backup_is_worker": "AB岗不能是网格{grid}的网格员本人。",
    "bad_backup": "{who} 不是网格员或管理员,不能做AB岗。",
    "no_person": "{who} 不是网格员或管理员。",
    "bad_hours": "值班时间格式不对: {why}",
    "self_disable": "不能停用自己正在使用的账号。",
    "faq_no_question": "请至少填写一个问法或关键词。",
    "faq_question_long": "问法最多 {n} 个,每个不超过 {max} 个字。",
    "faq_no_answer": "请填写回答。",
    "faq_answer_long": "回答不能超过 {max} 个字。",
    "faq_duplicate": "问法“{q}”已在另一条问答中,同一句话只能有一个回答。",
    "faq_gone": "这条问答已不存在(可能刚被别人删除),请刷新页面。",
}
