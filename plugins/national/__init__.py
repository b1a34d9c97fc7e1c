"""National rulesets (教督〔2012〕3号 basic balance, 教督〔2017〕6号 quality balance)."""
