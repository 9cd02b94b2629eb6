"""The qsplay Jupyter kernel: the protocol (jupyter_kernel_test), completion inside conditions,
inspection, and a malformed cell that does not kill it."""

import json

import jupyter_kernel_test


class QsplayKernelProtocol(jupyter_kernel_test.KernelTests):
    kernel_name = "qsplay"
    language_name = "qsplay"
    file_extension = ".qsplay"
    code_display_data = [{"code": "can CORP\\bob read stream:Public", "mime": "text/html"}]
    completion_samples = [{"text": "can CORP\\b", "matches": {"CORP\\bob"}},
                          {"text": "eval resource.stream.Has", "matches": {'HasPrivilege("'}}]
    complete_code_samples = ["can CORP\\bob read stream:Public", "users"]
    incomplete_code_samples = ['eval user.group = "Sales" and', "eval (user.group = \"A\""]
    code_inspect_sample = "HasPrivilege"

    def run_cell(self, code):
        self.flush_channels()
        return self.execute_helper(code=code)

    def test_qsplay_malformed_cell_keeps_the_kernel_alive(self):
        reply, outputs = self.run_cell("rule add X --filter Stream_* --actions read --condition 'user.group ='")
        assert reply["content"]["status"] == "error"
        assert "does not parse" in reply["content"]["evalue"]
        reply, outputs = self.run_cell("frobnicate !!")
        assert reply["content"]["status"] == "error" and "unknown command" in reply["content"]["evalue"]
        reply, outputs = self.run_cell("can anonymous read stream:Public via public")
        assert reply["content"]["status"] == "ok"
        html = [o for o in outputs if o["msg_type"] == "display_data"][0]["content"]["data"]["text/html"]
        assert "verdict allow" in html

    def test_qsplay_hostile_cells_never_end_the_kernel(self):
        for cell in ["\x00\x01", "can 'CORP\\bob read", "eval " + "(" * 5000, "time +99999999999d",
                     "can " + "x" * 100_000, "\u202e\ud7ff", "audit --format", "rule add X --filter '' --actions read"]:
            reply, _ = self.run_cell(cell)
            assert reply["content"]["status"] in ("ok", "error")
            assert "internal error" not in reply["content"].get("evalue", "")
        reply, outputs = self.run_cell("can CORP\\bob read stream:Public")
        assert reply["content"]["status"] == "ok"

    def test_qsplay_graph_is_inline_svg(self):
        reply, outputs = self.run_cell("graph --rule Stream")
        data = [o for o in outputs if o["msg_type"] == "display_data"][0]["content"]["data"]
        assert "<svg" in data["image/svg+xml"] and 'class="node' in data["image/svg+xml"]

    def test_qsplay_cell_with_several_commands_and_a_continued_condition(self):
        reply, outputs = self.run_cell('users\neval user.IsAnonymous() or\n  user.group = "Sales" for CORP\\bob')
        texts = [o["content"]["data"]["text/plain"] for o in outputs if o["msg_type"] == "display_data"]
        assert len(texts) == 2 and texts[1].startswith("TRUE")

    def test_qsplay_execution_counts_increment(self):
        counts = [self.run_cell(cell)[0]["content"]["execution_count"] for cell in ("users", "frobnicate", "users")]
        assert counts[1] == counts[0] + 1 and counts[2] == counts[0] + 2
        self.flush_channels()
        msg_id = self.kc.execute("users", silent=True)
        reply = self.kc.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert self.run_cell("users")[0]["content"]["execution_count"] == counts[0] + 3  # silent cells do not count

    def test_qsplay_offers_no_debugger(self):
        """Issue 18 finding 15: ipykernel's debugger would inspect the Python session behind a
        kernel that has no Python cells."""
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=10)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert "debugger" not in reply["content"].get("supported_features", [])
        for command in ("initialize", "richInspectVariables", "inspectVariables"):
            msg = self.kc.session.msg("debug_request", {"type": "request", "seq": 1, "command": command,
                                                        "arguments": {}})
            self.kc.control_channel.send(msg)  # debug requests travel on the control channel
            reply = self.kc.get_control_msg(timeout=10)
            assert reply["msg_type"] == "debug_reply"
            assert reply["content"]["success"] is False and "no debugger" in reply["content"]["message"]
            assert "qsplay_session" not in json.dumps(reply["content"])
