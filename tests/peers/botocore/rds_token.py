"""Prints botocore's RDS IAM auth tokens for the cases on stdin, with the signing clock frozen.

Input: a JSON list of {"key", "secret", "session_token" (or null), "host", "port", "user",
"region", "epoch"}. Output: a JSON list of tokens, in order. Nothing leaves the machine: a
token is signed locally.
"""
import datetime
import json
import sys

import botocore.auth
import botocore.session


def frozen(epoch):
    """botocore's signers read the clock through `get_current_datetime`, imported into auth."""
    instant = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)

    def now(remove_tzinfo=True):
        return instant.replace(tzinfo=None) if remove_tzinfo else instant

    return now


def main():
    cases = json.load(sys.stdin)
    session = botocore.session.get_session()
    tokens = []
    for case in cases:
        botocore.auth.get_current_datetime = frozen(case["epoch"])
        client = session.create_client(
            "rds",
            region_name=case["region"],
            aws_access_key_id=case["key"],
            aws_secret_access_key=case["secret"],
            aws_session_token=case["session_token"],
        )
        tokens.append(
            client.generate_db_auth_token(
                DBHostname=case["host"], Port=case["port"], DBUsername=case["user"], Region=case["region"]
            )
        )
    json.dump(tokens, sys.stdout)


main()
