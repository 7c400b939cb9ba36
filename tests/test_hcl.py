"""Terraform/Bicep comments are blanked by a tokenizer that knows strings and heredocs."""
from __future__ import annotations

import pytest

from scanner.parsing.hcl import strip_comments

TF = '''\
# a comment
resource "aws_s3_bucket_policy" "p" {
  policy = "arn:aws:s3:::bucket/*"   // the ARN's /* opens no comment
  url    = "https://example.org/#anchor"
  name   = "${var.env == "prod" ? "a#b" : "c"}"
}
/* resource "aws_cloudwatch_metric_alarm" "old" {
} */
resource "aws_cloudwatch_metric_alarm" "latency" {
  alarm_description = <<EOT
  # kept: heredoc text
  EOT
}
'''


def test_comments_are_blanked_and_strings_kept():
    code = strip_comments(TF)
    assert code.count("\n") == TF.count("\n")  # line numbers survive
    assert "a comment" not in code and "opens no comment" not in code
    assert '"arn:aws:s3:::bucket/*"' in code
    assert '"https://example.org/#anchor"' in code
    assert '"a#b"' in code
    assert '"old"' not in code  # inside a block comment
    assert 'resource "aws_cloudwatch_metric_alarm" "latency"' in code
    assert "# kept: heredoc text" in code


@pytest.mark.parametrize("source", ['x = "unterminated\n# comment\ny = 1\n', "a = 1 /* open", "<<", 'x = "${'])
def test_broken_sources_never_raise_and_keep_their_lines(source):
    assert strip_comments(source).count("\n") == source.count("\n")


def test_bicep_strings_are_single_quoted_and_hash_is_not_a_comment():
    src = "resource a 'Microsoft.Insights/metricAlerts@2018-03-01' = { // alert\n  name: 'x#y//z'\n}\n"
    code = strip_comments(src, bicep=True)
    assert "'Microsoft.Insights/metricAlerts@2018-03-01'" in code and "'x#y//z'" in code
    assert "alert\n" not in code
