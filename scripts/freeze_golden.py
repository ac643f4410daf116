"""Re-freeze the expected output of the golden parser tests after a deliberate parser change, or freeze a new case.

    python scripts/freeze_golden.py [outlet ...]

Review the diff of tests/golden/*/*.json before committing it: every change must be an improvement. A new case is
its input file in tests/golden/<outlet>/ plus its meta.json entry (kind, source; "synthetic": true and "why" when
the input is not a capture as the outlet served it; see tests/golden_cases.py); read its frozen output before
committing it: the body complete, without navigation, captions or related links. docs/golden.md has the rules.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.golden_cases import golden_cases, parse_case  # noqa: E402


def main() -> None:
    outlets = set(sys.argv[1:])
    for case in golden_cases():
        if outlets and case.outlet not in outlets:
            continue
        case.expected_path.write_text(
            json.dumps(parse_case(case), ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        print(f"froze {case.expected_path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
