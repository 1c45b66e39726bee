"""随手拍: what residents and workers are told about their photos and voice notes."""

HEARD = "🎤 听到的是:「{text}」"
ASK_WHAT = ("收到照片📷 请简单说一下是什么问题、在几栋,比如「5栋门口下水道堵了」。"
            "(想匿名反映,请先发照片,再发「树洞 + 文字」。)")
ATTACHED = "📷 照片已附到诉求 {code}(共 {n} 张),网格员处理时能看到。"
ATTACHED_RESOLUTION = "📷 办结照片已附到诉求 {code},并已发给居民。"
ATTACHED_RESOLUTION_NO_RESIDENT = "📷 办结照片已附到诉求 {code}(该诉求没有可私信的居民,照片留在记录里)。"
TOO_LARGE = "这张照片太大了(超过 {mb} MB),没能保存😅 请换一张小一点的,或直接用文字描述问题。"
NOT_IMAGE = ("这个文件打不开😅 目前只能收 JPG、PNG、WebP 格式的照片,其他文件暂时看不了;"
             "也可以直接用文字描述问题,比如「3栋2单元楼道灯不亮」。")
TOO_MANY = "诉求 {code} 的照片已经够多了(最多 {n} 张),这张没有保存。"
VOICE = ("{bot}暂时还听不了语音😅 麻烦打几个字说一下,比如「3栋2单元楼道灯不亮」,"
         "我马上登记给网格员。")
VOICE_ON_NEED = ("{bot}暂时还听不了语音😅 已告诉网格员您就诉求 {code} 发来一条语音;"
                 "要补充的话,麻烦打几个字。")
RESOLUTION_PHOTO_TO_RESIDENT = "📷 这是网格员发来的诉求 {code} 办结现场照片。"
STAFF_WAITING = "📷 收到照片。接着发「办结 诉求编号 说明」,照片会作为办结照片附上并发给居民。"
QUESTION_WHAT = "说明照片里的问题"
STATUS_PHOTOS = "\n📷 照片 {n} 张(网页收件箱可看)"
