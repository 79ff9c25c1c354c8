CREATE INDEX ON rentals.bookings USING btree (guest_id);
CREATE INDEX ON rentals.reviews USING btree (listing_id);
CREATE INDEX ON rentals.listings USING btree (bedrooms);
