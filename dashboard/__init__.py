"""The Streamlit dashboard where outreach workers read and answer leads."""
