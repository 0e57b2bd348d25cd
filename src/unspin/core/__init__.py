"""The shared ground every stage imports: the typed records (`records`: Finding, Report,
Match...), the one configuration object (`config`), tokens and sentences (`tokens`),
`InputError` (`errors`) and the bundled 3-gram language model (`lm`)."""
