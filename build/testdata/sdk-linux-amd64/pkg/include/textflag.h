// textflag
