"""Exceptions and warnings that RecycleNet users catch.

Every error a user can cause carries enough context to fix it: the file, the row, the
column, the offending value and a hint. The command line prints ``str(error)`` as one
paragraph, without a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The common problems and fixes in Chinese, by the English text's pattern; a text not
# listed is shown as it is.
_ZH: tuple[tuple[str, str], ...] = (
    (
        r"the scenario asks for (\d+) (\w+) sites \(siting\.counts\.\w+\) but the table has "
        r"only (\d+) candidates of that tier",
        r"情景要求 \1 个 \2 站点（siting.counts.\2），但候选站点表中该层级只有 \3 个",
    ),
    (
        r"lower siting\.counts\.(\w+) to at most (\d+) or add candidates",
        r"将 siting.counts.\1 减到不超过 \2 个，或增加候选站点",
    ),
    (r"the value is not a number", "不是数字"),
    (r"the value is not a finite number", "不是有限数"),
    (r"the value is out of range \((.*)\)", r"超出允许范围（\1）"),
    (r"the value is empty", "为空"),
    (r"the value is not allowed", "不是允许的取值"),
    (r"the value is not yes/no", "不是“是/否”"),
    (r"the value must be a whole number", "应为整数"),
    (r"the value is not a time", "不是时间"),
    (r"not a clock time", "不是时间（HH:MM）"),
    (
        r"settlement (.*) would generate (.*) kg \((.*) m3\) a day, (\d+) loads of the "
        r"largest collection vehicle, more than (\d+)",
        r"村/社区 \1 每天将产生 \2 公斤（\3 立方米），相当于最大收运车 \4 车，超过 \5 车",
    ),
    (
        r"check its population and the scenario's demand rates and densities",
        "请检查其人口及情景中的产生率和密度",
    ),
    (
        r"the site lies (\d+) km from the nearest settlement \((.*)\), more than (.*) km",
        r"站点距最近的村/社区（\2）\1 公里，超过 \3 公里",
    ),
    (
        r"check its lon and lat \(and inputs\.crs\), or remove the row",
        "请检查经纬度（及 inputs.crs），或删除该行",
    ),
    (r"the value holds control characters", "含有控制字符"),
    (r"delete them from the cell", "请从单元格中删除这些字符"),
    (r"not a weekday", "不是星期几"),
    (r"duplicate id, already used in row (\d+)", r"编号重复（第 \1 行已用过）"),
    (
        r"the position lies outside China.*",
        "位置不在中国境内（经度 73–136°E，纬度 3–54°N，WGS-84 度）",
    ),
    (r"the file does not exist", "文件不存在"),
    (r"the file is empty", "文件为空"),
    (r"the file is neither UTF-8 nor GBK/GB18030 text", "文件既不是 UTF-8 也不是 GBK/GB18030 文本"),
    (
        r"the file is an old Excel 97-2003 workbook \(\.xls\)",
        "文件是旧版 Excel 97-2003 工作簿（.xls）",
    ),
    (r"the file is UTF-16 text.*", "文件是 UTF-16 文本（Excel 的“Unicode 文本”）"),
    (r"the file holds NUL characters.*", "文件含有 NUL 字符（二进制文件或 UTF-16 文本）"),
    (r"the file cannot be opened.*", "文件无法打开（没有权限，或被其他程序占用）"),
    (r"the file cannot be read \((.*)\)", r"文件无法读取（\1）"),
    (r"unknown table format '(.*)'", r"不支持的表格格式“\1”"),
    (r"required column '(.*?)' is missing.*", r"缺少必填列“\1”"),
    (r"the output path is an existing file, not a folder", "输出路径是一个已有文件，不是文件夹"),
    (
        r"the folder holds other files than an earlier output.*",
        "该文件夹中有其他文件（不是以前的输出）；运行会替换整个输出文件夹",
    ),
    (r"the folder (.*) cannot be written", r"无法写入文件夹 \1"),
    (
        r"the candidate refers to a settlement that is not in the settlements table",
        "候选点引用的村/社区不在村庄表中",
    ),
    (r"write a plain number for (.*)", r"请在 \1 填写数字"),
    (r"correct it", "请更正"),
    (r"round it", "请取整"),
    (r"fill in the (.*)", r"请填写 \1"),
    (r"use one of (.*)", r"请使用以下取值之一：\1"),
    (r"did you mean '(.*?)'\? use one of (.*)", r"是否应为“\1”？可用取值：\2"),
    (r"write true or false", "请填写 true 或 false"),
    (r"write HH:MM.*", "请按 HH:MM 填写时间"),
    (r"give every row its own (.*)", r"请为每一行填写不同的 \1"),
    (
        r"lon and lat look swapped: exchange the two columns",
        "经纬度似乎填反了：请交换 lon 与 lat 两列",
    ),
    (
        r"a latitude above 90 is likely a longitude: are lon and lat swapped\?",
        "纬度大于 90 多半是经度：lon 与 lat 是否填反了？",
    ),
    (
        r"check the coordinates and inputs\.crs for this table",
        "请检查坐标以及该表的 inputs.crs 设置",
    ),
    (r"check the path in the scenario", "请检查情景文件中的路径"),
    (r"fill in the table, header first", "请填写表格（第一行为表头）"),
    (r"save it as .*", "请另存为 UTF-8 CSV 或 Excel .xlsx"),
    (r"open it in Excel or WPS and save it as \.xlsx.*", "请用 Excel 或 WPS 打开并另存为 .xlsx"),
    (r"close it in Excel or WPS.*", "请在 Excel 或 WPS 中关闭该文件，或检查读取权限后重试"),
    (r"give --out a folder name.*", "请为 --out 指定一个文件夹名（会自动创建），或移走该文件"),
    (r"give --out a new or empty folder", "请为 --out 指定一个新的或空的文件夹"),
    (r"choose an --out folder you may write to", "请选择有写入权限的 --out 文件夹"),
)


def _end(text: str, stop: str) -> str:
    """``text`` ending with a stop, unless it ends with one of its own."""
    return text if text.endswith(("。", "？", "！", ".", "?", "!")) else text + stop


def zh_text(text: str) -> str:
    """The Chinese of a common problem or fix (see ``_ZH``); else ``text`` as it is."""
    for pattern, zh in _ZH:
        if re.fullmatch(pattern, text):
            return re.sub(pattern, zh, text)
    return text


class RecycleNetError(Exception):
    """Base class of every error RecycleNet raises on purpose."""


class ConfigError(RecycleNetError):
    """The scenario file is malformed: unknown keys, wrong types, bad values."""


IN_MEMORY = " (DataFrame)"
"""Ends the name of a table given in memory (``settlements (DataFrame)``)."""


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input table.

    Parameters
    ----------
    file
        Path of the table as the user gave it.
    message
        What is wrong.
    hint
        What would fix it.
    row
        1-based data row (the header is not counted), or ``None`` for the whole table.
    column
        Column name, or ``None``.
    value
        The offending value as text, or ``None``.
    """

    file: str
    message: str
    hint: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def render(self, lang: str = "en") -> str:
        """The problem in ``lang`` (``"zh"``: Chinese where the text is a common one)."""
        if lang != "zh":
            return str(self)
        where = f"表 {self.file}" if self._in_memory else f"文件 {self.file}"
        if self.row is not None:
            where += f" 第 {self.row} 行"
            if not self._in_memory:
                where += f"（文本第 {self.row + 1} 行）"
        if self.column is not None:
            where += f"「{self.column}」列"
        if self.value is not None:
            where += f"的值「{self.value}」"
        return f"{where}：{_end(zh_text(self.message), '。')}修改：{_end(zh_text(self.hint), '。')}"

    @property
    def _in_memory(self) -> bool:
        """Whether the table was given as a DataFrame (it has no file lines)."""
        return self.file.endswith(IN_MEMORY)

    def __str__(self) -> str:
        where = [f"table {self.file}" if self._in_memory else f"file {self.file}"]
        if self.row is not None and self._in_memory:
            where.append(f"row {self.row}")
        elif self.row is not None:
            # Data row n sits on line n + 1 of a CSV file (line 1 is the header).
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        if self.value is not None:
            where.append(f"value '{self.value}'")
        return f"{', '.join(where)}: {_end(self.message, '.')} Fix: {_end(self.hint, '.')}"


SHOWN = 20
"""Problems an :class:`InputError` lists; the rest are counted."""


class InputError(RecycleNetError):
    """One or more input tables are invalid; raised before any solving.

    Parameters
    ----------
    problems
        Every problem found, so a user can fix them all in one go.
    """

    def __init__(self, problems: list[InputProblem] | InputProblem) -> None:
        if isinstance(problems, InputProblem):
            problems = [problems]
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        """One heading, then one problem a line (at most :data:`SHOWN`, then the count
        of the rest), in ``lang``."""
        n = len(self.problems)
        if lang == "zh":
            lines = [f"输入数据有 {n} 处问题，求解前已停止："]
        else:
            lines = [f"{n} problem(s) in the input, found before any solving:"]
        lines += [f"  - {p.render(lang)}" for p in self.problems[:SHOWN]]
        if n > SHOWN:
            rest = n - SHOWN
            lines.append(f"  … 另有 {rest} 处问题" if lang == "zh" else f"  … and {rest} more")
        return "\n".join(lines)


class InfeasibleError(RecycleNetError):
    """The scenario has no solution; the message says which settlements or constraints."""


class SolverError(RecycleNetError):
    """A solver failed or returned no solution within its time limit."""


class RecycleNetWarning(UserWarning):
    """Something users should know about that does not stop a run."""
