"""Domain errors with stable codes; one handler in app.py maps them to HTTP.

Services raise these; routers never build an error body by hand.
"""

from __future__ import annotations

import contextlib
from typing import Any

STATUS_BY_CODE: dict[str, int] = {
    "bad_request": 400,
    "not_authenticated": 401,
    "role_forbidden": 403,
    "scope_forbidden": 403,
    "cross_site_request": 403,
    "not_found": 404,
    "validation_error": 422,
    "unknown_code": 422,
    "no_standard": 422,
    "not_eligible": 422,
    "paid_on_future": 422,
    "household_has_cases": 409,
    "import_rejected": 422,
    "explanation_required": 422,
    "weak_password": 422,
    "wrong_password": 422,
    "password_change_required": 403,
    "too_many_attempts": 429,
    "too_large": 413,
    "busy": 503,
}
# Everything else that is a known domain conflict is 409.
CONFLICT = 409
# Seconds a 503 `busy` reply asks the client to wait (its Retry-After header).
RETRY_AFTER_S = 5

MESSAGES_ZH: dict[str, str] = {
    "bad_request": "请求无法解析",
    "not_authenticated": "未登录或令牌无效",
    "role_forbidden": "当前角色无权执行此操作",
    "scope_forbidden": "超出您的管辖范围",
    "cross_site_request": "拒绝来自其他网站的请求",
    "not_found": "对象不存在",
    "validation_error": "字段无效",
    "unknown_code": "代码不存在",
    "stock_insufficient": "库存不足",
    "below_floor": "将低于储备底线",
    "lot_not_expired": "该批次未过期，报废须填写超限理由",
    "transfer_up_tiers": "向上级仓库调拨须填写超限理由",
    "idempotency_key_reused": "同一幂等键已用于不同的请求",
    "busy": "数据库繁忙，请稍后重试",
    "weak_password": "密码不符合要求",
    "wrong_password": "当前密码错误",
    "password_change_required": "请先修改密码",
    "too_many_attempts": "登录失败次数过多，请稍后再试",
    "too_large": "上传的文件或请求过大",
    "duplicate": "已存在",
    "invalid_transition": "当前状态不允许此操作",
    "deadline_already_done": "该时限已标记完成",
    "explanation_required": "须填写数字变动原因",
    # subsidies
    "no_standard": "没有适用的补助标准",
    "not_eligible": "该户不符合项目的救助条件",
    "import_rejected": "导入未成功，未写入任何记录",
    "duplicate_case": "该户在此项目中已有案件",
    "notice_window_open": "公示期尚未结束",
    "budget_exceeded": "将超出项目预算",
    "case_not_approved": "案件尚未审批，不能支付",
    "overpayment": "支付总额将超过审批金额",
    "already_reversed": "该笔支付已冲正",
    "invalid_reversal": "冲正记录不能再冲正",
    "paid_on_future": "支付日期晚于今天；如确需登记，请填写原因",
    "household_has_cases": "该户已有补助案件，不能删除",
}


class DomainError(Exception):
    """An expected failure with a stable `code`, a message and the field it concerns.

    `message` is an English sentence that is also the message's id in the catalogue
    (relief/locale): write it as a template with `{name}` placeholders and give their values
    in `params`, so that the catalogue can say it in Chinese:

        DomainError("validation_error", "reported_at is in the future (now is {now})",
                    "reported_at", params={"now": now_text})

    `text(lang)` is the message in a language; the API answers in its `Accept-Language`.
    """

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        status: int | None = None,
        message_zh: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.template = message
        self.params = dict(params or {})
        if self.params:
            with contextlib.suppress(KeyError, IndexError, ValueError):
                message = message.format(**self.params)
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.status = status or STATUS_BY_CODE.get(code, CONFLICT)
        self.message_zh = message_zh
        self.extra = extra or {}
        self.headers = headers or {}  # e.g. Retry-After on 429

    def text(self, lang: str = "en") -> str:
        """The message in `lang` ("zh" or "en") from the catalogue; a message the catalogue
        lacks falls back to the old Chinese prefix (a code's words and the English detail)."""
        from relief.i18n import has, translate

        target = "en" if lang == "en" else "zh"
        if has(self.template, target):
            return translate(self.template, target, **self.params)
        if target == "en":
            return self.message
        if self.message_zh:
            return self.message_zh
        zh = MESSAGES_ZH.get(self.code)
        return f"{zh}：{self.message}" if zh else self.message

    def detail(self, prefer_zh: bool = False) -> dict[str, Any]:
        message = self.text("zh" if prefer_zh else "en")
        return {"code": self.code, "message": message, "field": self.field, **self.extra}


def not_found(entity: str, key: object, field: str | None = None) -> DomainError:
    return DomainError("not_found", f"{entity} {key} does not exist", field)


def unknown_code(field: str, code: object, what: str = "code") -> DomainError:
    return DomainError("unknown_code", f"unknown {what}: {code}", field)


def invalid(field: str, message: str) -> DomainError:
    return DomainError("validation_error", message, field)
