"""The dashboard's pages (run by ``st.navigation``) and the pieces they share."""
