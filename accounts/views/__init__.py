"""Account pages: sign-in and passwords (`auth`), organisations and their users (`organisations`)."""
